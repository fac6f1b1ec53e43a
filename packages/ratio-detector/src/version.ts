/** The package version, written into the instrumentation scope of every detection (a test keeps it equal to package.json). */
export const VERSION = '0.1.0';
