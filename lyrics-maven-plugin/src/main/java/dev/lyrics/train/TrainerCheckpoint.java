package dev.lyrics.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.lyrics.core.Files2;
import dev.lyrics.core.InputException;
import dev.lyrics.core.Json;
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
 * that resuming reproduces the uninterrupted run. A checkpoint is written under a temporary name
 * and renamed when complete; the older ones are then deleted.
 */
final class TrainerCheckpoint {
    private static final String PARAMETERS = "parameters.safetensors";
    private static final String OPTIMIZER = "optimizer.safetensors";
    private static final String STATE = "trainer_state.json";
    private static final String PREFIX = "step-";

    private final Path dir;

    TrainerCheckpoint(Path dir) {
        this.dir = dir;
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
        Files2.move(partial, dir.resolve(name));
        for (Path older : checkpoints()) {
            if (!older.getFileName().toString().equals(name)) {
                Files2.deleteRecursively(older);
            }
        }
    }

    /**
     * Loads the newest complete checkpoint into the parameters (in place), the optimiser and the loss log.
     *
     * @return the steps it had done (0 when there is no checkpoint) and the loss scaler's state
     */
    @SuppressWarnings("unchecked")
    Restored restoreLatest(SortedMap<String, NDArray> parameters, AdamW optimizer, List<LoraTrainer.StepRecord> lossLog)
            throws IOException {
        List<Path> found = checkpoints();
        if (found.isEmpty()) {
            return new Restored(0, null);
        }
        Path latest = found.get(found.size() - 1);
        Map<String, Object> state = Json.MAPPER.readValue(latest.resolve(STATE).toFile(),
                new TypeReference<TreeMap<String, Object>>() {});
        try (SafetensorsFile file = SafetensorsFile.open(latest.resolve(PARAMETERS))) {
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
        try (SafetensorsFile file = SafetensorsFile.open(latest.resolve(OPTIMIZER));
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

    /** Complete checkpoints, oldest first. */
    private List<Path> checkpoints() throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<Path> found = new ArrayList<>();
        try (Stream<Path> entries = Files.list(dir)) {
            entries.filter(p -> p.getFileName().toString().startsWith(PREFIX) && Files.isRegularFile(p.resolve(STATE)))
                    .sorted()
                    .forEach(found::add);
        }
        return found;
    }
}
