import { describe, expect, it } from 'vitest';
import { ToolMissingError } from '../../src/core/errors.js';
import { QmpClient, QmpError, type QmpEvent } from '../../src/emulator/qmp-client.js';
import { FakeQmpServer } from '../../src/transports/fake/fake-qmp.js';
import { FakeChild, FakeSpawner } from '../../src/transports/fake/fake-spawner.js';

describe('FakeSpawner', () => {
  it('answers the first script that matches the tool or a prefix of the command line, and records every call', async () => {
    const fake = new FakeSpawner({ tools: ['dpkg'] })
      .onRun('dpkg --print-foreign-architectures', { stdout: 'arm64\n' })
      .onRun('dpkg', (call) => ({ exitCode: 2, stderr: `no ${call.args.join(' ')}` }));
    const a = await fake.run('dpkg', ['--print-foreign-architectures']);
    expect([a.exitCode, a.stdout.toString()]).toEqual([0, 'arm64\n']);
    const b = await fake.run('dpkg', ['--add-architecture', 'riscv64'], { env: { X: '1' } });
    expect([b.exitCode, b.stderr.toString(), b.timedOut]).toEqual([2, 'no --add-architecture riscv64', false]);
    expect(fake.commandLines()).toEqual(['dpkg --print-foreign-architectures', 'dpkg --add-architecture riscv64']);
    expect(fake.calls[1]!.options).toEqual({ env: { X: '1' } });
  });

  it('a tool not on the fake PATH is missing, as with NodeSpawner; an unscripted call names itself', async () => {
    const fake = new FakeSpawner({ tools: { qemu: '/opt/q/qemu' } });
    expect(await fake.which('qemu')).toBe('/opt/q/qemu');
    expect(await fake.which('gcc')).toBeUndefined();
    await expect(fake.run('gcc', ['-v'])).rejects.toBeInstanceOf(ToolMissingError);
    await expect(fake.spawn('qemu', ['-M', 'virt'])).rejects.toMatchObject({ code: 'E_FAKE_UNSCRIPTED', message: expect.stringContaining('spawn qemu -M virt') });
    expect(fake.commandLines('spawn')).toEqual(['qemu -M virt']);
  });

  it('a timed-out run reports no exit code and SIGKILL, as NodeSpawner does', async () => {
    const fake = new FakeSpawner({ tools: ['sleep'] }).onRun('sleep', { timedOut: true });
    expect(await fake.run('sleep', ['9'])).toMatchObject({ exitCode: null, signal: 'SIGKILL', timedOut: true });
  });

  it('FakeChild dies only of the signals it is told to, records them, and ignores kills after exit', async () => {
    const child = new FakeChild({ diesOf: ['SIGKILL'] });
    child.kill();
    child.kill('SIGKILL');
    child.kill('SIGTERM');
    expect(await child.exited).toEqual({ exitCode: null, signal: 'SIGKILL' });
    expect(child.signals).toEqual(['SIGTERM', 'SIGKILL']);
    const done = new FakeChild();
    done.exit(3);
    done.kill();
    expect(await done.exited).toEqual({ exitCode: 3, signal: null });
    expect(done.signals).toEqual([]);
  });
});

describe('FakeQmpServer with the QMP client', () => {
  it('greets, negotiates, answers by id, reports errors as QEMU does, and delivers events', async () => {
    const qmp = new FakeQmpServer().reply('query-status', { status: 'paused', running: false }).reply('human-monitor-command', (args) => `ran ${String(args?.['command-line'])}`).fail('cont', 'GenericError', 'no');
    const client = await QmpClient.open(await qmp.connect('/run/q.sock'));
    expect(qmp.socketPaths).toEqual(['/run/q.sock']);
    expect(await client.execute('query-status')).toEqual({ status: 'paused', running: false });
    expect(await client.execute('human-monitor-command', { 'command-line': 'info pci' })).toBe('ran info pci');
    await expect(client.execute('cont')).rejects.toBeInstanceOf(QmpError);
    await expect(client.execute('no-such-command')).rejects.toThrow(/CommandNotFound/);
    const events: QmpEvent[] = [];
    client.onEvent((e) => events.push(e));
    qmp.emit('RESET', { guest: true }, 1_700_000_000_123);
    expect(events).toEqual([{ event: 'RESET', data: { guest: true }, timestampMs: 1_700_000_000_123 }]);
    expect(qmp.commands.map((c) => c.execute)).toEqual(['qmp_capabilities', 'query-status', 'human-monitor-command', 'cont', 'no-such-command']);
    expect(qmp.commands[2]!.arguments).toEqual({ 'command-line': 'info pci' });
  });

  it('an ignored command stays pending until QEMU hangs up; then it and later commands fail as closed', async () => {
    const qmp = new FakeQmpServer().ignore('quit');
    const client = await QmpClient.open(await qmp.connect('/q'));
    const quit = client.execute('quit');
    qmp.hangUp();
    await expect(quit).rejects.toMatchObject({ code: 'E_QMP_CLOSED' });
    await expect(client.execute('query-status')).rejects.toMatchObject({ code: 'E_QMP_CLOSED' });
    expect(qmp.connections).toBe(0);
  });
});
