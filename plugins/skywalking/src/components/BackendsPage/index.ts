export { BackendsPage } from './BackendsPage';
