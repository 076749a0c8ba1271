import type { WebhookEventType } from '@pneumoscreen/contracts';

/** A configured receiver, with the filters that choose what it gets. */
export interface WebhookEndpoint {
  url: string;
  /** Only studies in this bucket; any bucket when absent. */
  bucket?: string;
  /** Only studies whose every object key starts with this; any key when absent. */
  prefix?: string;
  /** Only these event types; every type when absent. */
  events?: readonly WebhookEventType[];
}

export interface EndpointRouting {
  endpoints: readonly WebhookEndpoint[];
  /** For studies no endpoint covers by bucket and prefix, and, when no endpoints are configured
   * at all, for events about no study. */
  defaultUrl?: string;
  /** Whether a study's own callback URL may receive its events (the tenant's callback hosts);
   * none may when absent. */
  callbackAllowed?: (url: string) => boolean;
}

export interface WebhookSubject {
  type: WebhookEventType;
  /** Absent for events about no study, such as a model roll-out. */
  study?: { bucket: string; keys: readonly string[]; callbackUrl?: string };
}

/** One spelling per URL, so that variants share one job id and one disabled flag. */
export function endpointKey(url: string): string {
  return new URL(url).href;
}

/** Whether the endpoint speaks for the study's owner: it takes study events from its location. */
function covers(endpoint: WebhookEndpoint, study: WebhookSubject['study']): boolean {
  if (!study) return true;
  if (endpoint.events && !endpoint.events.some((t) => t.startsWith('study.'))) return false;
  if (endpoint.bucket !== undefined && endpoint.bucket !== study.bucket) return false;
  const prefix = endpoint.prefix;
  return prefix === undefined || (study.keys.length > 0 && study.keys.every((k) => k.startsWith(prefix)));
}

export interface ResolvedEndpoints {
  urls: string[];
  /** Why the study's own callback URL gets nothing; it goes into the study's result. */
  callbackRefused?: string;
}

/**
 * Where an event goes. Each endpoint that covers the study (its bucket and prefix match, and it
 * takes some study event) gets it if its event filter allows. An endpoint that covers the study
 * but filters the type out means the owner does not want that type, so it does not fall through
 * to the default URL, which serves only uncovered studies. A study's own callback URL (from a
 * manifest or the submit API) gets the event besides them, never instead of them, and only on a
 * host the tenant lists: whoever can drop a file or a manifest must not redirect results.
 */
export function resolveEndpoints(subject: WebhookSubject, routing: EndpointRouting): ResolvedEndpoints {
  const { study } = subject;
  const covering = routing.endpoints.filter((e) => covers(e, study));
  const urls = covering.length
    ? covering.filter((e) => !e.events || e.events.includes(subject.type)).map((e) => e.url)
    : routing.defaultUrl
      ? [routing.defaultUrl]
      : [];
  let callbackRefused: string | undefined;
  if (study?.callbackUrl) {
    if (routing.callbackAllowed?.(study.callbackUrl)) urls.push(study.callbackUrl);
    else callbackRefused = `callbackUrl not used: its host ${hostOf(study.callbackUrl)} is not on the tenant's callback hosts`;
  }
  return { urls: [...new Set(urls.map(endpointKey))], ...(callbackRefused ? { callbackRefused } : {}) };
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return '(not a URL)';
  }
}
