import { resolve } from 'node:path';
import { resolveBoard, type BoardRef } from '../boards/plan.js';
import { prepareOutputDir } from './output-paths.js';
import type { DriverKind } from '../boards/schema.js';
import type { ProgressSink } from '../core/progress.js';
import { buildPayload, type PayloadBuildResult } from '../payload/build-payload.js';
import { payloadSpecFor } from '../payload/from-profile.js';
import type { Spawner } from '../transports/spawner.js';

export interface PayloadBuildRequest {
  board: string;
  /** Default: every driver kind the board supports. */
  drivers?: readonly DriverKind[];
  outDir: string;
  /** TEST ONLY: drivers claim ok without doing the work (proves the host oracles catch it). */
  testOnlyFakeOk?: boolean;
  /** TEST ONLY: GPIO drivers skip their register work (proves each GPIO oracle catches it). */
  testOnlySkipGpio?: boolean;
}

/** Builds the reference payload for a board's driver set, from its profile, with the cross toolchain. */
export async function buildBoardPayload(
  board: BoardRef,
  request: PayloadBuildRequest,
  env: { spawner: Spawner },
  options: { progress?: ProgressSink; signal?: AbortSignal } = {},
): Promise<PayloadBuildResult> {
  const profile = resolveBoard(board, request.board);
  await prepareOutputDir(request.outDir, 'output directory');
  const spec = payloadSpecFor(profile, request.drivers, {
    ...(request.testOnlyFakeOk ? { testOnlyFakeOk: true } : {}),
    ...(request.testOnlySkipGpio ? { testOnlySkipGpio: true } : {}),
  });
  return buildPayload(spec, { spawner: env.spawner, outDir: resolve(request.outDir), ...(options.progress ? { progress: options.progress } : {}), ...(options.signal ? { signal: options.signal } : {}) });
}
