export * from "./bmap.js";
