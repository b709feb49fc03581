// The app version written into checkpoints and exports (kept equal to package.json's).
export const APP_VERSION = '0.1.0';
