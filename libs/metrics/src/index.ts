export { MetricsEndpoint, metricsRegistry, type MetricsAddress } from './endpoint';
