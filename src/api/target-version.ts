/** Keras versions as users write them (`2.2.4`, `2.15`, `3.0`), turned into writer target ids. */
import { KconvError } from '../errors.js';

/** The writer target id for a Keras version: standalone Keras up to 2.3, tf.keras from 2.4, Keras 3. */
export function targetFor(version: string): string {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?$/.exec(version);
  if (!m) return version; // a target id such as 'tf_keras' or 'keras-3.2'
  const [major, minor] = [Number(m[1]), Number(m[2])];
  if (major === 3) return `keras-${version}`;
  if (major === 2 && minor <= 3) return `keras-${version}`;
  if (major === 2) return `tf-keras-2.${minor}`;
  throw new KconvError('USAGE', `target Keras version '${version}' is not one kconv writes (2.x or 3.x)`);
}
