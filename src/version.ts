/** kconv's version (kept equal to package.json's by a test); writers record it as the producer version. */
export const VERSION = '0.1.0';
