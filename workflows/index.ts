/** Every workflow type the worker registers. */
export { campaignWorkflow } from './campaign';
export { dutyWorkflow } from './duty';
export { deskWorkflow } from './desk';
export { deskParcelWorkflow } from './desk-parcels';
