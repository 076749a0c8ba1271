// Test helpers for other packages' tests, as `@pneumoscreen/imaging/testing`: kept out of the
// main entry point so that production code cannot reach them.
export { PATIENT, TS, writeDicom, xray, type ImageSpec, type Item, type Value, type WriteOptions } from './dicom/test-support/dicom-writer';
