/**
 * What a stateful layer does across calls where Keras generations differ, by the writer's
 * `keras_version` (kconv follows the Keras that wrote the file). Measured with the golden cases
 * `model-rnn-stateful-calls` and `model-rnn-stateful-initial-state` (consecutive predict calls on
 * one model object in each fixture env) and read in those Keras sources; docs/recurrent.md.
 */

/**
 * A stateful layer called with initial states (a second model input) while it holds stored states:
 * - `given`: the given states win in every call (Keras 3; standalone Keras 2.3; tf.keras 2.2.4-tf
 *   of TF 1.13 and 2.0);
 * - `stored-unless-zero`: the stored states win unless every stored value (all states, all rows)
 *   is zero, as after a reset or in the first call (tf.keras / tf_keras 2.12+: `count_nonzero`
 *   over `self.states`, then `cond`);
 * - `unknown`: a version not measured whose sources here do not say (tf.keras 2.3–2.11, standalone
 *   Keras 2.0–2.2, no recorded version).
 */
export type InitialStateRule = 'given' | 'stored-unless-zero' | 'unknown';

/**
 * A stateful Bidirectional over consecutive calls:
 * - `carries`: each direction carries its states and `reset_states` resets them (Keras 3.0.1 and
 *   3.15.1, tf.keras 2.13 / 2.15, tf_keras 2.21; also what kconv does for versions not measured);
 * - `never`: the wrapped layers' state updates never run in `predict`, so every call starts the
 *   Bidirectional from zero while the other stateful layers carry (standalone Keras 2.3.1);
 * - `ambiguous`: '2.2.4-tf' is written by tf.keras of TF 1.13, whose Bidirectional never carries
 *   (as Keras 2.3.1), and of TF 2.0, whose Bidirectional carries but is skipped by
 *   `model.reset_states()` (it reports `stateful` False): the file cannot say which ran it.
 */
export type BidirectionalCarry = 'carries' | 'never' | 'ambiguous';

interface Version {
  major: number;
  minor: number;
  /** tf.keras's own version strings ('2.2.4-tf'). */
  tf: boolean;
}

function parse(kerasVersion: string | undefined): Version | null {
  const m = /^(\d+)\.(\d+)/.exec(kerasVersion ?? '');
  return m ? { major: Number(m[1]), minor: Number(m[2]), tf: (kerasVersion ?? '').endsWith('-tf') } : null;
}

export function initialStateRule(kerasVersion: string | undefined): InitialStateRule {
  const v = parse(kerasVersion);
  if (!v) return 'unknown';
  if (v.major >= 3) return 'given';
  if (v.major <= 1) return 'given'; // Keras 1 takes no initial_state in a call: nothing to choose between
  if (v.tf) return kerasVersion!.startsWith('2.2.') ? 'given' : 'unknown';
  if (v.minor === 3) return 'given'; // standalone Keras 2.3.x (and tf.keras never wrote 2.3 without -tf)
  return v.minor >= 12 ? 'stored-unless-zero' : 'unknown';
}

export function bidirectionalCarry(kerasVersion: string | undefined): BidirectionalCarry {
  const v = parse(kerasVersion);
  if (!v || v.major !== 2) return 'carries';
  if (v.tf) return kerasVersion!.startsWith('2.2.') ? 'ambiguous' : 'carries';
  return v.minor === 3 ? 'never' : 'carries';
}
