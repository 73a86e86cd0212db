import { isBackendOwner } from './isBackendOwner';
import { isInCluster } from './isInCluster';
import { isInNamespace } from './isInNamespace';

/** The permission rules of the skywalking-backend resource type. */
export const skywalkingBackendPermissionRules = { isInCluster, isInNamespace, isBackendOwner };

export { isBackendOwner, isInCluster, isInNamespace };
