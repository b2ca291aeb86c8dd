/**
 * Shadowed class names: a layer whose `class_name` is one of Keras's own (Conv1D, Dense, ...) but
 * whose Keras 3 `module` / `registered_name` says it is someone else's class (`"module":
 * "my_pkg.layers"`, `"registered_name": "Custom>Conv1D"`). kconv runs it as the standard layer
 * (its config has the standard keys, or mapping would have failed) and warns that it did, since
 * the custom class may compute something else.
 */

/** Modules Keras's own classes are saved under: keras, keras.src.*, tf_keras.*, tensorflow's bundled Keras. */
function isKerasModule(module: string): boolean {
  return /^(keras|tf_keras|tensorflow\.python\.keras|tensorflow\.keras)(\.|$)/.test(module);
}

/** The warning for a layer mapped as the standard `className`, or null when it is Keras's own. */
export function shadowedClassWarning(layer: string, className: string, module: unknown, registeredName: unknown): string | null {
  const foreignModule = typeof module === 'string' && !isKerasModule(module);
  // Keras's own classes save registered_name null (3.2+) or their class name (3.0/3.1)
  const foreignName = typeof registeredName === 'string' && registeredName !== className;
  if (!foreignModule && !foreignName) return null;
  const who = [foreignModule ? `module '${module}'` : '', foreignName ? `registered name '${registeredName}'` : ''].filter(Boolean).join(', ');
  return `layer '${layer}' has Keras's class name '${className}' but is a custom class (${who}); kconv runs it as the standard ${className}, which may not be what the custom class computes`;
}
