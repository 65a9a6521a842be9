package dev.weir.cdc;

import io.debezium.config.Configuration;
import io.debezium.document.Document;
import io.debezium.document.DocumentReader;
import io.debezium.document.DocumentWriter;
import io.debezium.relational.history.AbstractSchemaHistory;
import io.debezium.relational.history.HistoryRecord;
import io.debezium.relational.history.HistoryRecordComparator;
import io.debezium.relational.history.SchemaHistoryException;
import io.debezium.relational.history.SchemaHistoryListener;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Debezium's schema history for binlog sources (MySQL, MariaDB), kept in the warehouse table
 * {@code weir_cdc_schema_history} and written in the same transaction as the data.
 *
 * <p>The connector records a DDL statement (and, at the snapshot, the tables' definitions) here
 * before it hands over any change that follows it, so when {@link CdcApplier} commits a batch it
 * first {@linkplain #drain drains} the records made so far into the warehouse, in that same
 * transaction: whatever source position the warehouse holds, it also holds every schema record up to
 * it. A crash before the commit loses both; the binlog still has the DDL and it is read again.
 * Records drained ahead of the committed position are harmless: Debezium's recovery applies only the
 * records at or before the offset it resumes from, and the record read again from the binlog (same
 * position, same DDL) is recognised and not stored twice.
 */
public final class WarehouseSchemaHistory extends AbstractSchemaHistory {
  /** The property naming the CDC source (the key of the store handed over by the runner). */
  static final String SOURCE_PROPERTY = "schema.history.internal.weir.source";

  private static final Map<String, Store> STORES = new ConcurrentHashMap<>();

  /** One source's records: those the warehouse holds, and those made since and not yet committed. */
  static final class Store {
    private final List<String> committed;
    private final List<String> pending = new ArrayList<>();
    private final Set<String> known = new HashSet<>();

    Store(List<String> committed) {
      this.committed = new ArrayList<>(committed);
      for (String r : committed) known.add(identity(r));
    }

    synchronized void add(String json) {
      if (known.add(identity(json))) pending.add(json);
    }

    /** Takes the records made since the last drain (the caller writes them in its transaction). */
    synchronized List<String> drain() {
      List<String> out = new ArrayList<>(pending);
      pending.clear();
      return out;
    }

    /** Puts drained records back (their transaction rolled back). */
    synchronized void undrain(List<String> records) {
      pending.addAll(0, records);
    }

    /** After a commit: the drained records are the warehouse's now. */
    synchronized void committed(List<String> records) {
      committed.addAll(records);
    }

    synchronized List<String> all() {
      List<String> out = new ArrayList<>(committed);
      out.addAll(pending);
      return out;
    }
  }

  /** A record's identity: its source position and statement (a DDL read again after a restart has both the same). */
  private static String identity(String json) {
    try {
      Document d = DocumentReader.defaultReader().read(json);
      Document pos = d.getDocument("position");
      return (pos == null ? "" : DocumentWriter.defaultWriter().write(pos)) + "\n" + d.getString("ddl");
    } catch (IOException e) {
      return json;
    }
  }

  /** Sets the records the engine of source {@code source} starts from (as the warehouse holds them, in order). */
  static Store preset(String source, List<String> records) {
    Store s = new Store(records);
    STORES.put(source, s);
    return s;
  }

  static void clear(String source) {
    STORES.remove(source);
  }

  private Store store;

  @Override
  public void configure(Configuration config, HistoryRecordComparator comparator, SchemaHistoryListener listener,
                        boolean useCatalogBeforeSchema) {
    super.configure(config, comparator, listener, useCatalogBeforeSchema);
    String source = config.getString(SOURCE_PROPERTY);
    store = source == null ? null : STORES.get(source);
    if (store == null) throw new SchemaHistoryException("No warehouse schema history was handed over for CDC source '" + source + "'");
  }

  @Override
  protected void storeRecord(HistoryRecord record) throws SchemaHistoryException {
    try {
      store.add(DocumentWriter.defaultWriter().write(record.document()));
    } catch (IOException e) {
      throw new SchemaHistoryException("Cannot serialize a schema history record", e);
    }
  }

  @Override
  protected void recoverRecords(Consumer<HistoryRecord> records) {
    for (String json : store.all()) {
      try {
        records.accept(new HistoryRecord(DocumentReader.defaultReader().read(json)));
      } catch (IOException e) {
        throw new SchemaHistoryException("Cannot read a schema history record from the warehouse", e);
      }
    }
  }

  @Override
  public boolean storageExists() { return true; }

  @Override
  public boolean exists() { return !store.all().isEmpty(); }

  @Override
  public String toString() { return "warehouse schema history"; }
}
