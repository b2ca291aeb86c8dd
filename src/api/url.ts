/**
 * `loadFromUrl`: `load` for a model served over HTTP, as a browser app (or a tfjs user used to
 * `tf.loadLayersModel(url)`) has it. One file holds the whole model, so there are no weight
 * shards to fetch; a weights-only file names its architecture JSON by URL too.
 */
import { KconvError } from '../errors.js';
import { load, type LoadOptions } from './load.js';
import type { Model } from './model.js';

export interface LoadFromUrlOptions extends Omit<LoadOptions, 'architecture'> {
  /** The architecture of a weights-only file: the URL of its JSON, or the document itself. */
  architecture?: string | URL | object;
  /** Passed to `fetch` (credentials, headers, an AbortSignal...). */
  fetchOptions?: RequestInit;
}

async function fetchBytes(url: string | URL, init: RequestInit | undefined): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (e) {
    throw new KconvError('IO_ERROR', `cannot fetch '${String(url)}': ${(e as Error).message}`, { cause: e });
  }
  if (!response.ok) throw new KconvError('IO_ERROR', `cannot fetch '${String(url)}': HTTP ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** Fetches a model file (and, for a weights-only file, its architecture JSON) and loads it. */
export async function loadFromUrl(url: string | URL, options: LoadFromUrlOptions = {}): Promise<Model> {
  const { fetchOptions, architecture, ...rest } = options;
  const arch = typeof architecture === 'string' || architecture instanceof URL ? await fetchBytes(architecture, fetchOptions) : architecture;
  const bytes = await fetchBytes(url, fetchOptions);
  const filename = rest.filename ?? (decodeURIComponent(new URL(String(url), 'http://x/').pathname.split('/').pop() ?? '') || String(url));
  return load(bytes, { ...rest, filename, architecture: arch });
}
