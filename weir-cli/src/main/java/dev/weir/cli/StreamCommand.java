package dev.weir.cli;

import dev.weir.core.WeirException;
import dev.weir.core.execute.Workspace;
import dev.weir.core.util.Secrets;
import dev.weir.stream.BatchReport;
import dev.weir.stream.StreamRunner;
import dev.weir.stream.StreamSpec;
import dev.weir.stream.StreamSpecs;
import dev.weir.stream.StreamMetrics;
import dev.weir.stream.StreamStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code weir stream run|list}: Kafka topics consumed into the warehouse exactly once (streams/*.yml). */
@Command(name = "stream", mixinStandardHelpOptions = true,
    description = "Streams declared in streams/*.yml: Kafka topics consumed into the warehouse in micro-batches, exactly once.",
    subcommands = {StreamCommand.Run.class, StreamCommand.ListStreams.class, StreamCommand.Status.class})
final class StreamCommand implements Runnable {
  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  static List<StreamSpec> selected(Workspace ws, List<String> names) {
    return GracefulStop.selectByName(StreamSpecs.load(ws.projectDir(), Common.env()), names, "stream", "No streams: the project has no " + StreamSpecs.FOLDER + "/*.yml");
  }

  /** {@code weir stream run [NAME...]}. */
  @Command(name = "run", mixinStandardHelpOptions = true,
      description = "Runs streams in the foreground until stopped (SIGTERM or Ctrl-C: the batch in hand is committed, exit 0).")
  static final class Run extends WeirCommand {
    @Parameters(paramLabel = "NAME", arity = "0..*", description = "Streams to run (default: all).")
    List<String> names;

    @Option(names = "--until-caught-up", description = "Stop once every partition is read to its end (batch use, tests).")
    boolean untilCaughtUp;

    @Option(names = "--max-batches", paramLabel = "N", description = "Stop each stream after N committed batches.")
    long maxBatches;

    @Option(names = "--threads", paramLabel = "N", description = "Consumer threads per stream (default: the stream's 'threads', else one per partition up to 4).")
    int threads;

    @Option(names = "--metrics-port", paramLabel = "PORT",
        description = "Serve the streams' figures as Prometheus metrics on http://<host>:PORT/metrics while they run.")
    Integer metricsPort;

    @Override String commandName() { return "stream"; }

    @Override
    int execute(Workspace ws) throws Exception {
      List<StreamSpec> specs = selected(ws, names);
      var engine = ws.engine(false);
      started = true;
      Map<String, StreamStatus> statuses = new java.util.HashMap<>();
      for (StreamSpec s : specs) statuses.put(s.name(), new StreamStatus(s.name(), s.target(), statusDir(ws)));
      StreamRunner runner = new StreamRunner(engine, specs, new StreamRunner.Options(untilCaughtUp, maxBatches, threads),
          new StreamRunner.Listener() {
            @Override
            public void batch(BatchReport r) {
              StreamStatus status = statuses.get(r.stream());
              if (status != null) status.batch(r);
              console.info(String.format(Locale.ROOT, "%s batch %d [thread %d]: %d records%s in %d ms, %,.0f records/s, lag %s, p99 latency %d ms",
                  r.stream(), r.batch(), r.worker(), r.records(), r.deadLetters() == 0 ? "" : " (" + r.deadLetters() + " to dead letters)",
                  r.millis(), r.recordsPerSecond(), r.lag() < 0 ? "?" : String.valueOf(r.lag()), r.p99Millis()));
            }

            @Override
            public void info(String message) { console.info(message); }
          });
      StreamMetrics metrics = null;
      if (metricsPort != null) {
        metrics = new StreamMetrics(statuses.values(), metricsPort);
        console.info("Metrics on http://localhost:" + metrics.port() + "/metrics");
      }
      long t0 = System.nanoTime();
      StreamRunner.Result result;
      try (GracefulStop stop = new GracefulStop(runner::stop)) {
        result = runner.run();
      } finally {
        if (metrics != null) metrics.close();
      }
      for (StreamStatus st : statuses.values()) st.ended(result.failure());
      double secs = (System.nanoTime() - t0) / 1e9;
      console.info(String.format(Locale.ROOT, "Stopped after %.1f s: %d batches, %d records (%,.0f records/s), %d dead letters, p99 latency %d ms.",
          secs, result.batches(), result.records(), result.records() / Math.max(secs, 1e-3), result.deadLetters(), runner.latencies().quantile(0.99)));
      if (result.failure() != null) {
        Throwable f = result.failure();
        console.error(f instanceof WeirException we ? we.describe() : "Stream failed: " + Secrets.mask(String.valueOf(f)));
        if (common.debug) f.printStackTrace();
        return 1;
      }
      return 0;
    }

  }

  /** Where running streams write their status files: {@code target/streams/}. */
  static java.nio.file.Path statusDir(Workspace ws) { return ws.targetDir().resolve("streams"); }

  /** {@code weir stream status [NAME...]}. */
  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "Shows each stream's state, lag per partition, records/s, end-to-end latency p99 and dead letters (last minute).")
  static final class Status extends WeirCommand {
    @Parameters(paramLabel = "NAME", arity = "0..*", description = "Streams to show (default: all).")
    List<String> names;

    @Option(names = "--output", paramLabel = "text|json", description = "text (default) or json.")
    String output = "text";

    @Override String commandName() { return "stream"; }

    @Override
    int execute(Workspace ws) throws Exception {
      List<StreamStatus.Report> reports = new ArrayList<>();
      for (StreamSpec s : selected(ws, names)) reports.add(StreamStatus.read(s, statusDir(ws)));
      if (output.equals("json")) {
        System.out.println(new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(reports));
        return 0;
      }
      if (!output.equals("text")) throw WeirException.usage("--output must be text or json, not '" + output + "'");
      for (StreamStatus.Report r : reports) {
        long lag = r.totalLag();
        System.out.println(r.stream() + " -> " + r.target() + ": " + r.state() + (r.pid() == null ? "" : " (pid " + r.pid() + ")"));
        if (r.error() != null) System.out.println("  error: " + r.error());
        System.out.println(String.format(Locale.ROOT, "  records %d, dead letters %d; last minute: %,.1f records/s, p99 latency %s, %d dead letters",
            r.records(), r.deadLetters(), r.recordsPerSecond(), r.latencyP99Millis() == null ? "-" : r.latencyP99Millis() + " ms",
            r.deadLettersLastMinute()));
        System.out.println("  lag " + (lag < 0 ? "?" : String.valueOf(lag)) + (r.lastBatchAt() == null ? "" : ", last batch " + r.lastBatchAt())
            + (r.kafkaError() == null ? "" : " (Kafka: " + r.kafkaError() + ")"));
        for (StreamStatus.PartitionLag p : r.partitions()) {
          System.out.println(String.format(Locale.ROOT, "    %s[%d]  committed %s  end %s  lag %s", p.topic(), p.partition(),
              p.nextOffset() < 0 ? "-" : String.valueOf(p.nextOffset()), p.endOffset() < 0 ? "?" : String.valueOf(p.endOffset()),
              p.lag() < 0 ? "?" : String.valueOf(p.lag())));
        }
      }
      return 0;
    }
  }

  /** {@code weir stream list}. */
  @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists the project's streams: topics, format, target and mode.")
  static final class ListStreams extends WeirCommand {
    @Override String commandName() { return "stream"; }

    @Override
    int execute(Workspace ws) {
      Map<String, StreamSpec> all = StreamSpecs.load(ws.projectDir(), Common.env());
      if (all.isEmpty()) {
        System.out.println("No streams (" + StreamSpecs.FOLDER + "/*.yml).");
        return 0;
      }
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"NAME", "TOPICS", "FORMAT", "TARGET", "MODE", "FILE"});
      for (StreamSpec s : all.values()) {
        rows.add(new String[] {s.name(), s.topicPattern() != null ? "/" + s.topicPattern().pattern() + "/" : String.join(",", s.topics()),
            s.format().name().toLowerCase(Locale.ROOT), s.target(),
            s.mode().name().toLowerCase(Locale.ROOT) + (s.key().isEmpty() ? "" : " by " + String.join(",", s.key())), s.file()});
      }
      int[] w = new int[6];
      for (String[] r : rows) for (int i = 0; i < 6; i++) w[i] = Math.max(w[i], r[i].length());
      for (String[] r : rows) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 6; i++) sb.append(String.format("%-" + (w[i] + 2) + "s", r[i]));
        System.out.println(sb.toString().stripTrailing());
      }
      return 0;
    }
  }
}
