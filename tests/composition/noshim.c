/* The "shim removed" variant of tests/composition/test_composition.py:
 * a preload library that wraps nothing. `autonomy run` accepts the
 * allow-list flags only with --ld-preload, and those flags are what turn
 * on the Landlock ruleset (and, for a connect list, the network
 * namespace); preloading this instead of libautonomy_preload.so keeps
 * every flag, and so every other layer, exactly as in the full run, and
 * takes the shim alone away. */
const char composition_noshim[] = "wraps nothing";
