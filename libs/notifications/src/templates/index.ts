export * from './alert';
export * from './render-alert';
export * from './summarise-alert';
export { ukTime, categoryLabel } from './wording';
