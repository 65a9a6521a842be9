package dev.weir.stream;

import dev.weir.core.WeirException;
import dev.weir.core.util.Suggest;
import dev.weir.core.util.Yaml;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Stream;

/**
 * Reads the streams of a project from {@code streams/*.yml}. A file holds one stream (a mapping
 * with {@code name:}) or several ({@code streams: [...]}). Errors name the file and line; unknown
 * keys get the closest known key as a suggestion. Secrets (SASL and SSL passwords, JAAS config)
 * are accepted only from environment variables ({@code {env_var: NAME}} or
 * {@code "{{ env_var('NAME') }}"}) and are registered for masking.
 */
public final class StreamSpecs {
  /** The folder of stream files inside a project. */
  public static final String FOLDER = "streams";

  private static final Set<String> TOP_KEYS = Set.of("name", "description", "kafka", "topics", "topic", "topic_pattern",
      "format", "csv", "schema", "transform", "target", "mode", "key", "event_time", "trigger", "dead_letter", "threads",
      "start_from", "source_name", "avro", "checks");
  private static final Set<String> KAFKA_KEYS = Set.of("bootstrap_servers", "group_id", "security_protocol",
      "sasl_mechanism", "sasl_username", "sasl_password", "sasl_jaas_config", "ssl_truststore_location",
      "ssl_truststore_password", "ssl_keystore_location", "ssl_keystore_password", "ssl_key_password", "properties");
  /** Kafka keys whose values are secrets: environment variables only. */
  private static final Set<String> SECRET_KEYS = Set.of("sasl_username", "sasl_password", "sasl_jaas_config",
      "ssl_truststore_password", "ssl_keystore_password", "ssl_key_password");
  private static final Set<String> TRIGGER_KEYS = Set.of("max_records", "max_bytes", "max_interval");
  private static final Set<String> DEAD_LETTER_KEYS = Set.of("relation", "max_fraction", "topic");
  private static final Set<String> CSV_KEYS = Set.of("delimiter");
  private static final Set<String> AVRO_KEYS = Set.of("schema_file", "framing");
  private static final Set<String> CHECK_KEYS = Set.of("name", "expression");
  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final Pattern RELATION = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*\\.)?[A-Za-z_][A-Za-z0-9_]*");

  private StreamSpecs() {}

  /** All streams of the project at {@code projectDir}, by name, in file order. */
  public static Map<String, StreamSpec> load(Path projectDir, Map<String, String> env) {
    Map<String, StreamSpec> out = new LinkedHashMap<>();
    for (Path f : files(projectDir)) {
      String shown = FOLDER + "/" + f.getFileName();
      for (StreamSpec spec : parseFile(Yaml.load(f, shown), shown, env, projectDir)) {
        StreamSpec before = out.putIfAbsent(spec.name(), spec);
        if (before != null) {
          throw WeirException.project(shown, spec.line(), "Stream '" + spec.name() + "' is declared twice (also in "
              + before.file() + " line " + before.line() + ")");
        }
      }
    }
    return out;
  }

  /** The stream files of a project, sorted (none when it has no streams/ folder). */
  static List<Path> files(Path projectDir) {
    Path dir = projectDir.resolve(FOLDER);
    if (!Files.isDirectory(dir)) return List.of();
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().endsWith(".yml") || p.getFileName().toString().endsWith(".yaml"))
          .sorted().toList();
    } catch (IOException e) {
      throw WeirException.project(dir, 0, "Cannot list stream files: " + e.getMessage());
    }
  }

  /** The stream mappings of one parsed file (one stream, or the entries of {@code streams:}), unchecked. */
  static List<Yaml.YMap> entries(Object root) {
    if (!(root instanceof Yaml.YMap m)) return List.of();
    if (m.containsKey("streams") && !m.containsKey("name")) {
      List<Yaml.YMap> out = new ArrayList<>();
      if (m.get("streams") instanceof Yaml.YList list) for (Object o : list) if (o instanceof Yaml.YMap sm) out.add(sm);
      return out;
    }
    return List.of(m);
  }

  /** Parses the text of one stream file (tests, and {@link #load}). */
  public static List<StreamSpec> parse(String yaml, String file, Map<String, String> env) {
    return parseFile(Yaml.parse(yaml, file), file, env, Path.of("."));
  }

  /** Parses the text of one stream file whose relative paths (Avro schema files) are relative to {@code projectDir}. */
  public static List<StreamSpec> parse(String yaml, String file, Map<String, String> env, Path projectDir) {
    return parseFile(Yaml.parse(yaml, file), file, env, projectDir);
  }

  private static List<StreamSpec> parseFile(Object root, String file, Map<String, String> env, Path projectDir) {
    List<StreamSpec> out = new ArrayList<>();
    if (root == null) return out;
    if (!(root instanceof Yaml.YMap m)) throw WeirException.project(file, 1, "A stream file must hold a mapping (name:, topics:, target:, ...)");
    if (m.containsKey("streams") && !m.containsKey("name")) {
      if (m.size() > 1) {
        String other = m.keySet().stream().filter(k -> !k.equals("streams")).findFirst().orElseThrow();
        throw WeirException.project(file, m.lineOf(other), "Unknown key '" + other + "' next to 'streams:'");
      }
      if (!(m.get("streams") instanceof Yaml.YList list)) throw WeirException.project(file, m.lineOf("streams"), "'streams' must be a list of streams");
      for (int i = 0; i < list.size(); i++) {
        if (!(list.get(i) instanceof Yaml.YMap sm)) throw WeirException.project(file, list.lineOf(i), "Each entry of 'streams' must be a mapping");
        out.add(parseStream(sm, file, env, projectDir));
      }
      return out;
    }
    out.add(parseStream(m, file, env, projectDir));
    return out;
  }

  private static StreamSpec parseStream(Yaml.YMap m, String file, Map<String, String> env, Path projectDir) {
    checkKeys(m, TOP_KEYS, file, "stream");
    String name = string(m, "name", file, true);
    if (!NAME.matcher(name).matches()) {
      throw WeirException.project(file, m.lineOf("name"), "Stream name '" + name + "' must be letters, digits and underscores");
    }
    // Kafka
    Yaml.YMap k = map(m, "kafka", file);
    if (k == null) throw WeirException.project(file, m.line, "Stream '" + name + "' has no 'kafka:' (bootstrap_servers at least)");
    checkKeys(k, KAFKA_KEYS, file, "kafka");
    String bootstrap;
    Object bs = k.get("bootstrap_servers");
    if (bs == null) throw WeirException.project(file, k.line, "Stream '" + name + "': kafka.bootstrap_servers is missing");
    if (bs instanceof Yaml.YList l) {
      List<String> parts = new ArrayList<>();
      for (Object o : l) parts.add(String.valueOf(o));
      bootstrap = String.join(",", parts);
    } else {
      bootstrap = value(k, "bootstrap_servers", file, env, false);
    }
    String group = k.containsKey("group_id") ? value(k, "group_id", file, env, false) : "weir-" + name;
    Map<String, String> props = new LinkedHashMap<>();
    for (String key : List.of("security_protocol", "sasl_mechanism", "ssl_truststore_location", "ssl_keystore_location")) {
      if (k.containsKey(key)) props.put(key.replace('_', '.'), value(k, key, file, env, false));
    }
    String user = k.containsKey("sasl_username") ? value(k, "sasl_username", file, env, true) : null;
    String pass = k.containsKey("sasl_password") ? value(k, "sasl_password", file, env, true) : null;
    if (k.containsKey("sasl_jaas_config")) props.put("sasl.jaas.config", value(k, "sasl_jaas_config", file, env, true));
    else if (user != null || pass != null) {
      if (user == null || pass == null) throw WeirException.project(file, k.line, "kafka.sasl_username and kafka.sasl_password go together");
      String mech = props.getOrDefault("sasl.mechanism", "PLAIN").toUpperCase(Locale.ROOT);
      String module = mech.startsWith("SCRAM") ? "org.apache.kafka.common.security.scram.ScramLoginModule"
          : "org.apache.kafka.common.security.plain.PlainLoginModule";
      props.put("sasl.jaas.config", module + " required username=\"" + user.replace("\"", "\\\"") + "\" password=\""
          + pass.replace("\"", "\\\"") + "\";");
    }
    for (String key : List.of("ssl_truststore_password", "ssl_keystore_password", "ssl_key_password")) {
      if (k.containsKey(key)) props.put(key.replace('_', '.'), value(k, key, file, env, true));
    }
    if (k.get("properties") != null) {
      if (!(k.get("properties") instanceof Yaml.YMap pm)) throw WeirException.project(file, k.lineOf("properties"), "kafka.properties must be a mapping of consumer properties");
      for (String key : pm.keySet()) {
        String lower = key.toLowerCase(Locale.ROOT);
        boolean secret = lower.contains("password") || lower.contains("jaas") || lower.contains("secret");
        if (Set.of("enable.auto.commit", "group.id", "key.deserializer", "value.deserializer", "isolation.level").contains(lower)) {
          throw WeirException.project(file, pm.lineOf(key), "kafka.properties." + key + " is set by Weir (exactly-once needs it) and cannot be overridden");
        }
        props.put(key, value(pm, key, file, env, secret));
      }
    }
    // Topics
    List<String> topics = new ArrayList<>();
    Pattern pattern = null;
    if (m.containsKey("topic")) topics.add(string(m, "topic", file, true));
    if (m.get("topics") != null) {
      if (!(m.get("topics") instanceof Yaml.YList tl) || tl.isEmpty()) {
        throw WeirException.project(file, m.lineOf("topics"), "'topics' must be a non-empty list of topic names");
      }
      for (Object o : tl) topics.add(String.valueOf(o));
    }
    if (m.containsKey("topic_pattern")) {
      String p = string(m, "topic_pattern", file, true);
      try {
        pattern = Pattern.compile(p);
      } catch (PatternSyntaxException e) {
        throw WeirException.project(file, m.lineOf("topic_pattern"), "topic_pattern is not a valid regular expression: " + e.getDescription());
      }
    }
    if (topics.isEmpty() && pattern == null) {
      throw WeirException.project(file, m.line, "Stream '" + name + "' names no topic: set 'topics: [t1, ...]' or 'topic_pattern:'");
    }
    if (!topics.isEmpty() && pattern != null) {
      throw WeirException.project(file, m.lineOf("topic_pattern"), "Stream '" + name + "': set 'topics' or 'topic_pattern', not both");
    }
    // Format
    StreamSpec.Format format = StreamSpec.Format.JSON;
    if (m.containsKey("format")) {
      String f = string(m, "format", file, true).toLowerCase(Locale.ROOT);
      try {
        format = StreamSpec.Format.valueOf(f.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        List<String> names = List.of("json", "csv", "string", "bytes", "avro", "debezium");
        throw WeirException.project(file, m.lineOf("format"), "Unknown format '" + f + "': use json, csv, avro, debezium, string or bytes."
            + Suggest.didYouMean(f, names));
      }
    }
    StreamSpec.Csv csv = new StreamSpec.Csv(',');
    Yaml.YMap cm = map(m, "csv", file);
    if (cm != null) {
      checkKeys(cm, CSV_KEYS, file, "csv");
      String d = cm.containsKey("delimiter") ? String.valueOf(cm.get("delimiter")) : ",";
      if (d.length() != 1) throw WeirException.project(file, cm.lineOf("delimiter"), "csv.delimiter must be one character");
      csv = new StreamSpec.Csv(d.charAt(0));
    }
    // Schema
    Map<String, ColumnKind.Declared> columns = new LinkedHashMap<>();
    if (m.get("schema") != null) {
      Object s = m.get("schema");
      if (s instanceof String str && str.equalsIgnoreCase("infer")) {
        // inferred
      } else if (s instanceof Yaml.YMap sm) {
        for (String col : sm.keySet()) {
          Object t = sm.get(col);
          if (!(t instanceof String ts)) throw WeirException.project(file, sm.lineOf(col), "Column '" + col + "': the type must be a string such as bigint or varchar");
          ColumnKind.Declared d = ColumnKind.parseDeclared(ts);
          if (d == null) {
            throw WeirException.project(file, sm.lineOf(col), "Column '" + col + "': unknown type '" + ts + "'."
                + Suggest.didYouMean(ts.toLowerCase(Locale.ROOT), ColumnKind.DECLARABLE));
          }
          columns.put(col, d);
        }
      } else {
        throw WeirException.project(file, m.lineOf("schema"), "'schema' must be a mapping of column: type, or 'infer'");
      }
    }
    StreamSpec.Avro avro = null;
    Yaml.YMap am = map(m, "avro", file);
    if (format == StreamSpec.Format.AVRO) {
      if (am == null || am.get("schema_file") == null) {
        throw WeirException.project(file, m.lineOf("format"), "Stream '" + name + "': format avro needs 'avro: {schema_file: schemas/<name>.avsc}'"
            + " (the record schema the values were written with)");
      }
      avro = avro(am, file, projectDir);
      if (columns.isEmpty()) columns.putAll(AvroValues.columns(avro.schema()));
    } else if (am != null) {
      throw WeirException.project(file, m.lineOf("avro"), "Stream '" + name + "': 'avro' goes with format avro");
    }
    if (format == StreamSpec.Format.STRING || format == StreamSpec.Format.BYTES) {
      if (!columns.isEmpty()) throw WeirException.project(file, m.lineOf("schema"), "Format " + format.name().toLowerCase(Locale.ROOT) + " has one column, 'value': leave 'schema' out");
    }
    String transform = m.containsKey("transform") ? string(m, "transform", file, true).strip() : null;
    if (transform != null && transform.endsWith(";")) transform = transform.substring(0, transform.length() - 1);
    if (transform != null && !transform.toLowerCase(Locale.ROOT).matches("(?s)^(select|with)\\b.*")) {
      throw WeirException.project(file, m.lineOf("transform"), "transform must be a query over 'batch', e.g. 'select ... from batch'");
    }
    // Target and mode
    if (m.get("target") == null) throw WeirException.project(file, m.line, "Stream '" + name + "' has no 'target:' (the relation rows land in, e.g. raw.events)");
    String target = string(m, "target", file, true);
    if (!RELATION.matcher(target).matches()) {
      throw WeirException.project(file, m.lineOf("target"), "target '" + target + "' must be 'schema.table' or 'table'");
    }
    // Debezium change events apply by key unless asked to keep them as a change log (mode append)
    StreamSpec.Mode mode = format == StreamSpec.Format.DEBEZIUM ? StreamSpec.Mode.UPSERT : StreamSpec.Mode.APPEND;
    if (m.containsKey("mode")) {
      String md = string(m, "mode", file, true).toLowerCase(Locale.ROOT);
      if (md.equals("append")) mode = StreamSpec.Mode.APPEND;
      else if (md.equals("upsert")) mode = StreamSpec.Mode.UPSERT;
      else throw WeirException.project(file, m.lineOf("mode"), "Unknown mode '" + md + "': use append or upsert." + Suggest.didYouMean(md, List.of("append", "upsert")));
    }
    List<String> key = new ArrayList<>();
    if (m.get("key") != null) {
      if (m.get("key") instanceof Yaml.YList kl) for (Object o : kl) key.add(String.valueOf(o));
      else key.add(String.valueOf(m.get("key")));
    }
    if (mode == StreamSpec.Mode.UPSERT && key.isEmpty() && format != StreamSpec.Format.DEBEZIUM) {
      throw WeirException.project(file, m.lineOf("mode"), "Stream '" + name + "': mode upsert needs 'key:' (the column or columns rows are matched on)");
    }
    if (mode == StreamSpec.Mode.APPEND && !key.isEmpty()) {
      throw WeirException.project(file, m.lineOf("key"), "Stream '" + name + "': 'key' is for mode upsert");
    }
    String eventTime = m.containsKey("event_time") ? string(m, "event_time", file, true) : null;
    if (eventTime != null && mode != StreamSpec.Mode.UPSERT) throw WeirException.project(file, m.lineOf("event_time"), "'event_time' is for mode upsert");
    // Trigger
    // Large batches for throughput (a DuckDB batch costs ~10 ms of fixed work); max_interval bounds the latency.
    int maxRecords = 100_000;
    long maxBytes = 64L << 20;
    Duration maxInterval = Duration.ofMillis(250);
    Yaml.YMap tm = map(m, "trigger", file);
    if (tm != null) {
      checkKeys(tm, TRIGGER_KEYS, file, "trigger");
      if (tm.containsKey("max_records")) maxRecords = (int) positive(tm, "max_records", file);
      if (tm.containsKey("max_bytes")) maxBytes = bytes(tm, "max_bytes", file);
      if (tm.containsKey("max_interval")) maxInterval = duration(tm, "max_interval", file);
    }
    // Dead letters
    String dlRelation = (target.contains(".") ? target.substring(0, target.lastIndexOf('.') + 1) : "") + "weir_dead_letters";
    double maxFraction = 0.1;
    String dlTopic = null;
    Yaml.YMap dm = map(m, "dead_letter", file);
    if (dm != null) {
      checkKeys(dm, DEAD_LETTER_KEYS, file, "dead_letter");
      if (dm.containsKey("relation")) {
        dlRelation = string(dm, "relation", file, true);
        if (!RELATION.matcher(dlRelation).matches()) throw WeirException.project(file, dm.lineOf("relation"), "dead_letter.relation must be 'schema.table' or 'table'");
      }
      if (dm.containsKey("max_fraction")) {
        Object v = dm.get("max_fraction");
        if (!(v instanceof Number n) || n.doubleValue() < 0 || n.doubleValue() > 1) {
          throw WeirException.project(file, dm.lineOf("max_fraction"), "dead_letter.max_fraction must be a number from 0 to 1");
        }
        maxFraction = n.doubleValue();
      }
      if (dm.containsKey("topic")) {
        dlTopic = string(dm, "topic", file, true);
        if (topics.contains(dlTopic) || (pattern != null && pattern.matcher(dlTopic).matches())) {
          throw WeirException.project(file, dm.lineOf("topic"), "dead_letter.topic '" + dlTopic + "' is one of the topics the stream reads");
        }
      }
    }
    int threads = m.containsKey("threads") ? (int) positive(m, "threads", file) : 0;
    String start = m.containsKey("start_from") ? string(m, "start_from", file, true).toLowerCase(Locale.ROOT) : "earliest";
    if (!start.equals("earliest") && !start.equals("latest")) throw WeirException.project(file, m.lineOf("start_from"), "start_from must be earliest or latest");
    return new StreamSpec(name, file, m.line, new StreamSpec.Kafka(bootstrap, group, props), List.copyOf(topics), pattern,
        format, csv, columns, transform, target, mode, List.copyOf(key), eventTime,
        new StreamSpec.Trigger(maxRecords, maxBytes, maxInterval), new StreamSpec.DeadLetter(dlRelation, maxFraction, dlTopic), threads, start, avro, checks(m, name, file));
  }

  /** {@code checks:} a list of {@code {name: ..., expression: ...}} or of bare SQL conditions (named by themselves). */
  private static List<StreamSpec.Check> checks(Yaml.YMap m, String stream, String file) {
    if (m.get("checks") == null) return List.of();
    if (!(m.get("checks") instanceof Yaml.YList list)) {
      throw WeirException.project(file, m.lineOf("checks"), "Stream '" + stream + "': 'checks' is a list of {name, expression} (SQL conditions each record must meet)");
    }
    List<StreamSpec.Check> out = new ArrayList<>();
    java.util.Set<String> names = new java.util.HashSet<>();
    for (int i = 0; i < list.size(); i++) {
      Object o = list.get(i);
      String name;
      String expr;
      if (o instanceof Yaml.YMap cm) {
        checkKeys(cm, CHECK_KEYS, file, "check");
        expr = cm.get("expression") == null ? null : String.valueOf(cm.get("expression")).strip();
        name = cm.get("name") == null ? expr : String.valueOf(cm.get("name"));
      } else {
        expr = o == null ? null : String.valueOf(o).strip();
        name = expr;
      }
      if (expr == null || expr.isEmpty()) throw WeirException.project(file, list.lineOf(i), "Stream '" + stream + "': a check needs an 'expression:' (a SQL condition)");
      if (expr.endsWith(";") || expr.toLowerCase(Locale.ROOT).matches("(?s)^\\s*(select|with)\\b.*")) {
        throw WeirException.project(file, list.lineOf(i), "Stream '" + stream + "': check '" + name + "' must be a condition such as 'amount >= 0', not a query");
      }
      if (!names.add(name)) throw WeirException.project(file, list.lineOf(i), "Stream '" + stream + "': two checks are named '" + name + "'");
      out.add(new StreamSpec.Check(name, expr));
    }
    return List.copyOf(out);
  }

  /** The {@code avro:} settings: the schema file (relative to the project), read and parsed now, and the framing. */
  private static StreamSpec.Avro avro(Yaml.YMap am, String file, Path projectDir) {
    checkKeys(am, AVRO_KEYS, file, "avro");
    String rel = string(am, "schema_file", file, true);
    Path f = projectDir.resolve(rel);
    org.apache.avro.Schema schema;
    try {
      schema = new org.apache.avro.Schema.Parser().parse(f.toFile());
    } catch (IOException e) {
      throw WeirException.project(file, am.lineOf("schema_file"), "Cannot read the Avro schema file " + rel + ": "
          + (e instanceof java.nio.file.NoSuchFileException || e instanceof java.io.FileNotFoundException ? "no such file" : e.getMessage()));
    } catch (org.apache.avro.SchemaParseException e) {
      throw WeirException.project(file, am.lineOf("schema_file"), "The Avro schema in " + rel + " is not valid: " + e.getMessage());
    }
    if (schema.getType() != org.apache.avro.Schema.Type.RECORD) {
      throw WeirException.project(file, am.lineOf("schema_file"), "The Avro schema in " + rel + " must be a record (it is a "
          + schema.getType().getName() + "): each field becomes a column");
    }
    String framing = am.containsKey("framing") ? string(am, "framing", file, true).toLowerCase(Locale.ROOT) : "none";
    if (!framing.equals("none") && !framing.equals("confluent")) {
      throw WeirException.project(file, am.lineOf("framing"), "avro.framing must be none (plain Avro binary) or confluent"
          + " (a magic byte and a 4-byte schema id before each value)");
    }
    return new StreamSpec.Avro(schema, framing.equals("confluent"), rel);
  }

  private static void checkKeys(Yaml.YMap m, Set<String> known, String file, String where) {
    for (String key : m.keySet()) {
      if (!known.contains(key)) {
        throw WeirException.project(file, m.lineOf(key), "Unknown key '" + key + "' in " + where + "." + Suggest.didYouMean(key, known));
      }
    }
  }

  private static Yaml.YMap map(Yaml.YMap m, String key, String file) {
    Object v = m.get(key);
    if (v == null) return null;
    if (!(v instanceof Yaml.YMap r)) throw WeirException.project(file, m.lineOf(key), "'" + key + "' must be a mapping");
    return r;
  }

  private static String string(Yaml.YMap m, String key, String file, boolean required) {
    Object v = m.get(key);
    if (v == null) {
      if (required) throw WeirException.project(file, m.lineOf(key), "'" + key + "' is missing or empty");
      return null;
    }
    if (v instanceof Yaml.YMap || v instanceof Yaml.YList) throw WeirException.project(file, m.lineOf(key), "'" + key + "' must be a single value");
    return String.valueOf(v);
  }

  private static String value(Yaml.YMap m, String key, String file, Map<String, String> env, boolean secret) {
    return dev.weir.core.util.SettingValues.value(m, key, file, env, secret);
  }


  private static long positive(Yaml.YMap m, String key, String file) {
    Object v = m.get(key);
    if (!(v instanceof Long l) || l <= 0) throw WeirException.project(file, m.lineOf(key), "'" + key + "' must be a positive whole number");
    return l;
  }

  private static long bytes(Yaml.YMap m, String key, String file) {
    Object v = m.get(key);
    if (v instanceof Long l && l > 0) return l;
    Matcher mt = Pattern.compile("(?i)\\s*(\\d+)\\s*(b|kb|mb|gb)?\\s*").matcher(String.valueOf(v));
    if (!mt.matches()) throw WeirException.project(file, m.lineOf(key), "'" + key + "' must be a size such as 1048576, 512kb or 16mb");
    long n = Long.parseLong(mt.group(1));
    String u = mt.group(2) == null ? "b" : mt.group(2).toLowerCase(Locale.ROOT);
    return n * switch (u) { case "kb" -> 1024L; case "mb" -> 1024L * 1024; case "gb" -> 1024L * 1024 * 1024; default -> 1L; };
  }

  /** Parses durations such as {@code 500ms}, {@code 2s}, {@code 1m} (a bare number is milliseconds). */
  static Duration duration(Yaml.YMap m, String key, String file) {
    Duration d = parseDuration(String.valueOf(m.get(key)));
    if (d == null || d.isNegative() || d.isZero()) {
      throw WeirException.project(file, m.lineOf(key), "'" + key + "' must be a duration such as 500ms, 2s or 1m");
    }
    return d;
  }

  static Duration parseDuration(String text) {
    Matcher mt = Pattern.compile("(?i)\\s*(\\d+)\\s*(ms|s|m|h)?\\s*").matcher(text);
    if (!mt.matches()) return null;
    long n = Long.parseLong(mt.group(1));
    String u = mt.group(2) == null ? "ms" : mt.group(2).toLowerCase(Locale.ROOT);
    return switch (u) {
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofMillis(n);
    };
  }
}
