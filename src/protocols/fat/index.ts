export * from "./geometry.js";
export * from "./boot-sector.js";
export * from "./names.js";
export * from "./directory.js";
export * from "./volume-plan.js";
export * from "./reader.js";
