package dev.lyrics.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.lyrics.core.FileManifest;
import dev.lyrics.core.Files2;
import dev.lyrics.core.InputException;
import dev.lyrics.core.Json;
import dev.lyrics.core.Log;
import dev.lyrics.model.SafetensorsFile;
import dev.lyrics.model.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Checkpoints of a training run in a directory that outlives a killed build: step-NNNNNN/ holds the
 * trainable parameters, the optimiser's moments and the loss log so far, exactly (float32), so
 * that resuming reproduces the uninterrupted run, and checkpoint.json, the size and SHA-256 of each
 * of those files. A checkpoint is written under a temporary name, flushed to disk and renamed when
 * complete; the newest two are kept, so that when a kill or a power cut damages the newest one,
 * the run resumes from the one before (or starts over), with a warning naming the damaged one.
 */
final class TrainerCheckpoint {
    private static final String PARAMETERS = "parameters.safetensors";
    private static final String OPTIMIZER = "optimizer.safetensors";
    private static final String STATE = "trainer_state.json";
    private static final String MANIFEST = "checkpoint.json";
    private static final String PREFIX = "step-";
    private static final int KEPT = 2;

    private final Path dir;
    private final Log log;

    TrainerCheckpoint(Path dir, Log log) {
        this.dir = dir;
        this.log = log;
    }

    Path dir() {
        return dir;
    }

    /** What a checkpoint restored: the steps it had done (0 for none) and the loss scaler's state (null for none). */
    record Restored(int step, Map<String, Object> lossScaler) {}

    /** @param lossScaler the loss scaler's state, or null when the run scales no loss */
    void save(int step, SortedMap<String, NDArray> parameters, AdamW optimizer, List<LoraTrainer.StepRecord> lossLog,
              Map<String, Object> lossScaler) throws IOException {
        String name = String.format("%s%06d", PREFIX, step);
        Path partial = dir.resolve("." + name + ".partial");
        Files2.deleteRecursively(partial);
        Files.createDirectories(partial);
        SafetensorsWriter.write(partial.resolve(PARAMETERS), parameters, SafetensorsFile.DType.F32, Map.of());
        SafetensorsWriter.write(partial.resolve(OPTIMIZER), optimizer.state(), SafetensorsFile.DType.F32, Map.of());
        Map<String, Object> state = new TreeMap<>();
        state.put("step", step);
        state.put("optimizer_steps", optimizer.steps());
        state.put("loss_log", lossLog);
        if (lossScaler != null) {
            state.put("loss_scaler", lossScaler);
        }
        Json.write(partial.resolve(STATE), state);
        Json.write(partial.resolve(MANIFEST), Map.of("files", FileManifest.describe(partial, MANIFEST)));
        Files2.syncTree(partial);
        Path complete = dir.resolve(name);
        Files2.deleteRecursively(complete);
        Files2.move(partial, complete);
        Files2.syncDirectory(dir);
        List<Path> all = checkpoints();
        for (Path older : all.subList(0, Math.max(0, all.size() - KEPT))) {
            Files2.deleteRecursively(older);
        }
    }

    /**
     * Loads the newest intact checkpoint into the parameters (in place), the optimiser and the loss log;
     * damaged ones (torn by a kill, a power cut or a full disk) are named in a warning and deleted.
     *
     * @return the steps it had done (0 when there is no intact checkpoint) and the loss scaler's state
     */
    Restored restoreLatest(SortedMap<String, NDArray> parameters, AdamW optimizer, List<LoraTrainer.StepRecord> lossLog)
            throws IOException {
        List<Path> found = new ArrayList<>(checkpoints());
        while (!found.isEmpty()) {
            Path latest = found.remove(found.size() - 1);
            String problem = damage(latest);
            if (problem == null) {
                return restore(latest, parameters, optimizer, lossLog);
            }
            log.warn("lyrics:finetune: checkpoint " + latest + " is damaged (" + problem + "); "
                    + (found.isEmpty() ? "starting the training over" : "resuming from the one before, "
                    + found.get(found.size() - 1).getFileName()) + "; deleting it");
            Files2.deleteRecursively(latest);
        }
        return new Restored(0, null);
    }

    /** Why a checkpoint directory is not whole, or null when every file matches checkpoint.json. */
    private static String damage(Path checkpoint) throws IOException {
        Path manifest = checkpoint.resolve(MANIFEST);
        if (!Files.isRegularFile(manifest)) {
            return MANIFEST + " missing";
        }
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(manifest.toFile());
        } catch (IOException e) {
            return MANIFEST + " is not well-formed JSON";
        }
        return FileManifest.check(checkpoint, root == null ? null : root.get("files"), MANIFEST);
    }

    @SuppressWarnings("unchecked")
    private Restored restore(Path checkpoint, SortedMap<String, NDArray> parameters, AdamW optimizer,
                             List<LoraTrainer.StepRecord> lossLog) throws IOException {
        Map<String, Object> state = Json.MAPPER.readValue(checkpoint.resolve(STATE).toFile(),
                new TypeReference<TreeMap<String, Object>>() {});
        try (SafetensorsFile file = SafetensorsFile.open(checkpoint.resolve(PARAMETERS))) {
            if (!file.tensors().keySet().equals(parameters.keySet())) {
                throw InputException.at(file.file(), "checkpoint holds other parameters than this run trains;"
                        + " delete " + dir + " to start over");
            }
            for (Map.Entry<String, NDArray> entry : parameters.entrySet()) {
                try (NDArray saved = file.load(entry.getKey(), entry.getValue().getManager(), DataType.FLOAT32)) {
                    // an exact in-place copy into the array the model uses (freshly initialised, so finite)
                    entry.getValue().muli(0).addi(saved);
                }
            }
        }
        try (SafetensorsFile file = SafetensorsFile.open(checkpoint.resolve(OPTIMIZER));
             NDManager scope = parameters.values().iterator().next().getManager().newSubManager()) {
            SortedMap<String, NDArray> moments = new TreeMap<>();
            for (String name : file.tensors().keySet()) {
                moments.put(name, file.load(name, scope, DataType.FLOAT32));
            }
            optimizer.restore(moments, ((Number) state.get("optimizer_steps")).intValue());
        }
        lossLog.clear();
        lossLog.addAll(Json.MAPPER.convertValue(state.get("loss_log"), new TypeReference<List<LoraTrainer.StepRecord>>() {}));
        return new Restored(((Number) state.get("step")).intValue(), (Map<String, Object>) state.get("loss_scaler"));
    }

    /** Checkpoints that were renamed into place (complete when written), oldest first. */
    private List<Path> checkpoints() throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<Path> found = new ArrayList<>();
        try (Stream<Path> entries = Files.list(dir)) {
            entries.filter(p -> p.getFileName().toString().startsWith(PREFIX) && Files.isDirectory(p))
                    .sorted()
                    .forEach(found::add);
        }
        return found;
    }
}
