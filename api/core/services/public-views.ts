import type { Endpoint, Item, Project } from '../model.js';
import { maskSupportOptions } from '../support-options.js';

/**
 * What leaves the core for an API response or a CLI table: never a secret, never a vault
 * reference, support options masked. Every read path goes through one of these.
 */
export type PublicEndpoint = Omit<Endpoint, 'adminSecretRef' | 'appSecretRef' | 'signInRef' | 'appCertificateKeyRef'> & {
  hasAdminPassword: boolean;
  hasAppSecret: boolean;
  hasSignIn: boolean;
};
export type PublicItem = Omit<Item, 'sourceSecretRef' | 'destinationSecretRef'> & {
  hasSourcePassword: boolean;
  hasDestinationPassword: boolean;
};

export function publicEndpoint(endpoint: Endpoint): PublicEndpoint {
  const { adminSecretRef, appSecretRef, signInRef, appCertificateKeyRef: _key, ...rest } = endpoint;
  return { ...rest, hasAdminPassword: !!adminSecretRef, hasAppSecret: !!appSecretRef, hasSignIn: !!signInRef };
}

export function publicItem(item: Item): PublicItem {
  const { sourceSecretRef, destinationSecretRef, ...rest } = item;
  return {
    ...rest,
    options: maskSupportOptions(item.options),
    hasSourcePassword: !!sourceSecretRef,
    hasDestinationPassword: !!destinationSecretRef,
  };
}

export type PublicProject = Omit<Project, 'teamsWebhookRef'> & { hasTeamsWebhook: boolean };

/** How far a project is, for the Projects list: items in all, and those that ended each way. */
export interface ProjectItemCounts {
  total: number;
  completed: number;
  completedWithErrors: number;
  failed: number;
}

export function publicProject(project: Project): PublicProject {
  const { teamsWebhookRef, ...rest } = project;
  return { ...rest, options: maskSupportOptions(project.options), hasTeamsWebhook: !!teamsWebhookRef };
}
