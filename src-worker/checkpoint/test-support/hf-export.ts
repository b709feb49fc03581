// What an export folder must hold, for the export tests and the CLI's: the files Hugging Face tools
// read, the run's metrics and our marker.

export const EXPORTED_FILES: readonly string[] = [
  '.crystalline-export', // the marker that lets a later overwrite replace this folder
  'README.md',
  'config.json',
  'generation_config.json',
  'metrics.csv',
  'model.safetensors',
  'tokenizer.json',
].sort();
