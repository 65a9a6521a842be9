package dev.weir.core.artifacts;

import dev.weir.core.engine.ColumnInfo;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/** Writes {@code target/catalog.json} (dbt catalog v1) from {@link CatalogTable} entries. */
public final class CatalogWriter {
  public static final String FILE_NAME = "catalog.json";

  private final SecretMasker masker;
  private final String dbtVersion;
  private final Map<String, String> env;

  public CatalogWriter(SecretMasker masker) { this(masker, Artifacts.DBT_VERSION, Map.of()); }

  public CatalogWriter(SecretMasker masker, String dbtVersion, Map<String, String> env) {
    this.masker = masker == null ? SecretMasker.none() : masker;
    this.dbtVersion = dbtVersion == null ? Artifacts.DBT_VERSION : dbtVersion;
    this.env = Artifacts.copy(env);
  }

  /**
   * @param tables entries for nodes and sources (split by {@link CatalogTable#uniqueId()} prefix)
   * @param errors catalog query errors, or null when there were none (dbt writes null then)
   */
  public void write(Collection<CatalogTable> tables, List<String> errors, String invocationId, Instant generatedAt,
                    Path file) {
    Artifacts.writeAtomically(file, g -> body(new JsonOut(g, masker), tables, errors, invocationId, generatedAt));
  }

  public void write(Collection<CatalogTable> tables, List<String> errors, String invocationId, Instant generatedAt,
                    OutputStream out) {
    Artifacts.write(out, g -> body(new JsonOut(g, masker), tables, errors, invocationId, generatedAt));
  }

  private void body(JsonOut o, Collection<CatalogTable> tables, List<String> errors, String invocationId,
                    Instant generatedAt) throws IOException {
    var g = o.g;
    g.writeStartObject();
    Artifacts.writeBaseMetadata(o, Artifacts.CATALOG_SCHEMA, dbtVersion,
        generatedAt == null ? Instant.now() : generatedAt, invocationId, null, env);
    section(o, "nodes", tables, false);
    section(o, "sources", tables, true);
    if (errors == null) o.nul("errors"); else o.strings("errors", errors);
    g.writeEndObject();
  }

  private static void section(JsonOut o, String name, Collection<CatalogTable> tables, boolean sources)
      throws IOException {
    var g = o.g;
    g.writeFieldName(name);
    g.writeStartObject();
    for (CatalogTable t : tables) {
      if (t.isSource() != sources) continue;
      g.writeFieldName(o.mask(t.uniqueId()));
      table(o, t);
    }
    g.writeEndObject();
  }

  private static void table(JsonOut o, CatalogTable t) throws IOException {
    var g = o.g;
    g.writeStartObject();
    g.writeFieldName("metadata");
    g.writeStartObject();
    o.strNN("type", t.type());
    o.strNN("schema", t.relation().schema());
    o.strNN("name", t.relation().identifier());
    o.str("database", t.relation().database());
    o.str("comment", t.comment());
    o.str("owner", t.owner());
    g.writeEndObject();
    g.writeFieldName("columns");
    g.writeStartObject();
    int pos = 0;
    for (ColumnInfo c : t.columns()) {
      pos++;
      g.writeFieldName(o.mask(c.name()));
      g.writeStartObject();
      o.strNN("type", c.dataType());
      g.writeNumberField("index", c.index() > 0 ? c.index() : pos);
      o.strNN("name", c.name());
      o.str("comment", c.comment());
      g.writeEndObject();
    }
    g.writeEndObject();
    g.writeFieldName("stats");
    g.writeStartObject();
    if (t.stats().isEmpty()) {
      g.writeFieldName("has_stats");
      stat(o, new CatalogTable.Stat("has_stats", "Has Stats?", false, false,
          "Indicates whether there are statistics for this table"));
    } else {
      for (Map.Entry<String, CatalogTable.Stat> e : t.stats().entrySet()) {
        g.writeFieldName(o.mask(e.getKey()));
        stat(o, e.getValue());
      }
    }
    g.writeEndObject();
    o.str("unique_id", t.uniqueId());
    g.writeEndObject();
  }

  private static void stat(JsonOut o, CatalogTable.Stat s) throws IOException {
    var g = o.g;
    g.writeStartObject();
    o.strNN("id", s.id());
    o.strNN("label", s.label());
    Object v = s.value();
    g.writeFieldName("value");
    if (v == null || v instanceof Boolean || v instanceof Number) o.value(v); else g.writeString(o.mask(v.toString()));
    o.bool("include", s.include());
    o.str("description", s.description());
    g.writeEndObject();
  }
}
