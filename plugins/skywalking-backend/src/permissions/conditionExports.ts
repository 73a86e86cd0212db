import { createConditionExports } from '@backstage/plugin-permission-node';
import { skywalkingBackendPermissionRules } from './rules';
import { skywalkingBackendPermissionResourceRef } from './resource';

const { conditions, createConditionalDecision } = createConditionExports({
  resourceRef: skywalkingBackendPermissionResourceRef,
  rules: skywalkingBackendPermissionRules,
});

/**
 * Conditions on skywalking-backend resources for permission policies, e.g.
 * `skywalkingBackendConditions.isBackendOwner({ claims: user?.info.ownershipEntityRefs ?? [] })`.
 */
export const skywalkingBackendConditions = conditions;

/** A CONDITIONAL decision on a skywalking-backend resource permission, evaluated by this plugin. */
export const createSkyWalkingBackendConditionalDecision = createConditionalDecision;
