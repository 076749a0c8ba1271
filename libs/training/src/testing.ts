// Test helpers for other packages' tests, as `@pneumoscreen/training/testing`: kept out of the
// main entry point so that production code cannot reach them.
export { kerasH5, kerasLayersOf, knownWeights, type KerasLayerWeights } from './keras-import/keras-h5.test-harness';
