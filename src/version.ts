/** The package version; a test keeps it equal to package.json's (the bundle has no package.json beside it). */
export const VERSION = '0.1.0';
