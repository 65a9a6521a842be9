/*
 * "Statements only" through JDBC: replays the statement list that bench/duckdb_alone.py
 * --emit-sql writes, on a fresh DuckDB file per run, through org.duckdb:duckdb_jdbc (the
 * driver Weir embeds), and times connect + statements + close inside the JVM.
 *
 * This is the floor for Weir's `run`: the same SQL, the same engine, the same driver, none of
 * Weir's own work (parse, Jinja, DAG, materialization bookkeeping) and no JVM start-up.
 * Warmup runs (default 1) absorb native-library loading and JIT of the driver.
 *
 * Run with the JDK's single-file source launcher (no build step, not part of mvn verify):
 *   java -cp duckdb_jdbc-<v>.jar bench/jdbc/ReplayStatements.java STATEMENTS.sql \
 *        [--runs 5] [--warmup 1] [--json OUT.json]
 * bench/run_overhead.sh does this when it finds the jar (DUCKDB_JDBC_JAR or ~/.m2).
 */

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

public class ReplayStatements {

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help")) {
            System.out.println("usage: java -cp duckdb_jdbc.jar ReplayStatements.java STATEMENTS.sql"
                    + " [--runs N] [--warmup N] [--json OUT.json]");
            return;
        }
        Path input = Path.of(args[0]);
        int runs = 5;
        int warmup = 1;
        Path json = null;
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--json" -> json = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }

        List<String> lines = Files.readAllLines(input);
        String header = lines.isEmpty() ? "" : lines.get(0);
        if (!header.startsWith("-- weir-bench statements v1 database=")) {
            throw new IllegalArgumentException("not a weir-bench statements file: " + input);
        }
        String database = header.substring(header.indexOf('=') + 1).trim();
        List<String> stmts = new ArrayList<>();
        StringBuilder cur = null;
        for (String line : lines.subList(1, lines.size())) {
            if (line.startsWith("-- @stmt ")) {
                if (cur != null) stmts.add(cur.toString());
                cur = new StringBuilder();
            } else if (cur != null) {
                cur.append(line).append('\n');
            }
        }
        if (cur != null) stmts.add(cur.toString());

        Class.forName("org.duckdb.DuckDBDriver");
        for (int i = 0; i < warmup; i++) runOnce(database, stmts);
        double[] walls = new double[runs];
        double execSum = 0;
        for (int i = 0; i < runs; i++) {
            double[] r = runOnce(database, stmts);
            walls[i] = r[0];
            execSum += r[1];
        }

        double mean = 0;
        for (double w : walls) mean += w;
        mean /= runs;
        double var = 0;
        for (double w : walls) var += (w - mean) * (w - mean);
        double stddev = runs > 1 ? Math.sqrt(var / (runs - 1)) : 0;
        double[] sorted = walls.clone();
        java.util.Arrays.sort(sorted);
        double median = runs % 2 == 1 ? sorted[runs / 2] : (sorted[runs / 2 - 1] + sorted[runs / 2]) / 2;
        String version;
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:")) {
            version = c.getMetaData().getDatabaseProductVersion();
        }

        StringBuilder times = new StringBuilder();
        for (int i = 0; i < runs; i++) times.append(i == 0 ? "" : ", ").append(fmt(walls[i]));
        String out = String.format(Locale.ROOT,
                "{\n  \"tool\": \"duckdb-jdbc\",\n  \"duckdb_version\": \"%s\",\n  \"java_version\": \"%s\",\n"
                        + "  \"statements\": %d,\n  \"n\": %d,\n  \"times\": [%s],\n  \"mean\": %s,\n"
                        + "  \"stddev\": %s,\n  \"median\": %s,\n  \"min\": %s,\n  \"max\": %s,\n"
                        + "  \"exec_sum_mean\": %s\n}\n",
                version, System.getProperty("java.version"), stmts.size(), runs, times, fmt(mean),
                fmt(stddev), fmt(median), fmt(sorted[0]), fmt(sorted[runs - 1]), fmt(execSum / runs));
        if (json != null) Files.writeString(json, out);
        System.out.printf(Locale.ROOT,
                "duckdb alone via JDBC (duckdb %s, java %s): %d statements, mean %.3fs ±%.3f (min %.3fs, n=%d),"
                        + " statements only %.3fs%n",
                version, System.getProperty("java.version"), stmts.size(), mean, stddev, sorted[0], runs,
                execSum / runs);
    }

    private static String fmt(double d) {
        return String.format(Locale.ROOT, "%.6f", d);
    }

    /** Returns {wall seconds (connect..close), seconds inside Statement.execute}. */
    private static double[] runOnce(String database, List<String> stmts) throws Exception {
        Path dir = Files.createTempDirectory("weir-bench-jdbc-");
        try {
            Path db = dir.resolve(database + ".duckdb");
            double exec = 0;
            long t0 = System.nanoTime();
            try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + db);
                 Statement s = c.createStatement()) {
                for (String sql : stmts) {
                    long s0 = System.nanoTime();
                    s.execute(sql);
                    exec += (System.nanoTime() - s0) / 1e9;
                }
            }
            return new double[] {(System.nanoTime() - t0) / 1e9, exec};
        } finally {
            deleteTree(dir);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
