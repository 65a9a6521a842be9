package dev.weir.cdc;

import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.connect.runtime.WorkerConfig;
import org.apache.kafka.connect.storage.MemoryOffsetBackingStore;

/**
 * Debezium's offset store for Weir: it starts with the source position the warehouse last committed
 * (handed over by {@link CdcRunner} before the engine starts, under the engine's name) and keeps what
 * the engine writes afterwards in memory only. The warehouse table {@code weir_cdc_offsets}, written
 * in the same transaction as the data, is the only durable record of how far a source was applied;
 * nothing in a file can disagree with it after a crash.
 */
public final class WarehouseOffsetStore extends MemoryOffsetBackingStore {
  private static final Map<String, Map<ByteBuffer, ByteBuffer>> INITIAL = new ConcurrentHashMap<>();

  /** Sets the offsets the engine named {@code engineName} starts from (serialized key to serialized value). */
  static void preset(String engineName, Map<ByteBuffer, ByteBuffer> offsets) {
    INITIAL.put(engineName, new HashMap<>(offsets));
  }

  static void clear(String engineName) {
    INITIAL.remove(engineName);
  }

  @Override
  public void configure(WorkerConfig config) {
    super.configure(config);
    String name = config.originalsStrings().get("name");
    Map<ByteBuffer, ByteBuffer> initial = name == null ? null : INITIAL.get(name);
    if (name == null && INITIAL.size() == 1) initial = INITIAL.values().iterator().next();
    data = new HashMap<>();
    if (initial != null) data.putAll(initial);
  }

  @Override
  public Set<Map<String, Object>> connectorPartitions(String connectorName) {
    return Collections.emptySet();
  }
}
