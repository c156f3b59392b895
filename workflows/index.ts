/** Every workflow type the worker registers. */
export { dutyWorkflow } from './duty';
