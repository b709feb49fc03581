// The checkpoint package's public API: the checkpoint file (write, read, verify, migrate), the
// safetensors format, and the Hugging Face GPT-2 export and import.

export { CheckpointError, type CheckpointErrorCode, type ConfigDifference } from './errors';
export {
  FORMAT_VERSION,
  type CheckpointHeader,
  type NamedTensor,
  type TensorData,
  type TensorEntry,
} from './format';
export { toJsonObject, type JsonObject, type JsonValue } from './json';
export { writeCheckpoint, type WriteCheckpointOptions, type WriteCheckpointResult } from './write';
export {
  assertCompatible,
  readCheckpoint,
  readCheckpointHeader,
  verifyCheckpoint,
  type CheckpointSummary,
  type LoadedCheckpoint,
  type ReadCheckpointOptions,
  type VerifyResult,
} from './read';
export { isTempName, removeStaleTemps, type DurableFs } from './durable-fs';
export {
  readSafetensors,
  writeSafetensors,
  SafetensorsError,
  type SafetensorsContents,
  type SafetensorsDtype,
  type SafetensorsErrorCode,
} from './safetensors';
export { gpt2TensorSpecs, type ExportDtype } from './hf-gpt2';
export {
  exportHuggingFaceFolder,
  ModelExportError,
  type ExportOptions,
  type ExportResult,
  type ModelExportErrorCode,
  type TrainingSummary,
} from './export';
export {
  importHuggingFaceFolder,
  importModel,
  importSafetensorsModel,
  ModelImportError,
  type ImportedModel,
  type ModelImportErrorCode,
} from './import';
