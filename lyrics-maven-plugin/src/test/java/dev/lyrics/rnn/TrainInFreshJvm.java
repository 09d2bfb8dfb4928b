package dev.lyrics.rnn;

import dev.lyrics.core.Log;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Trains one small recurrent model in a JVM of its own, for {@link RecurrentReproducibilityTest}:
 * {@code <outputDir> <cell> <churn>}. With churn 1 the JVM first fills its heap and direct memory
 * with short-lived garbage, so garbage collections and native allocations fall elsewhere than in a
 * quiet JVM, as they do in a Maven build that ran other stages first.
 */
public final class TrainInFreshJvm {
    private TrainInFreshJvm() {}

    public static void main(String[] args) throws Exception {
        Path out = Files.createDirectories(Path.of(args[0]));
        String cell = args[1];
        boolean churn = args[2].equals("1");
        List<ByteBuffer> kept = new ArrayList<>();
        if (churn) {
            for (int i = 0; i < 200; i++) {
                kept.add(ByteBuffer.allocateDirect(1000 + 48 * i)); // native allocations of odd sizes stay live
                byte[] garbage = new byte[1 << 20];
                garbage[i] = 1;
            }
        }
        List<String> songs = Fixtures.songs("the rain falls\non the plain in spain", "a rose is a rose\nis a rose is a rose",
                "row row row your boat\ngently down the stream", "merrily merrily merrily\nlife is but a dream",
                "twinkle twinkle little star\nhow I wonder what you are");
        RecurrentConfig config = new RecurrentConfig(null, cell, "char", 16, 64, 1, 0.0, 16, 4, 3, 0.01, 0.01, 1.0, 3407, 0.2);
        new RecurrentTrainer(config, Fixtures.vocab("char", songs), 1, Log.SILENT).train(songs, out);
        System.out.println("trained " + cell + " with " + kept.size() + " buffers held");
    }
}
