export { TopologyContent } from './TopologyContent';
