export * from "./mbr.js";
