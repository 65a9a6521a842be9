package dev.weir.cli;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * Local services for trying examples/coffee_shop's stream and CDC source: a real Kafka broker
 * (KRaft, in this JVM) and a real PostgreSQL 17 with logical replication (zonky's binaries), on
 * fixed ports, with the example's topic and its {@code shop} database created, and (with
 * {@code --generate}) a steady flow of order events and loyalty/menu changes until Ctrl-C.
 * Started by {@code examples/coffee_shop/dev/services.sh}; test-scoped code, never part of Weir's
 * runtime. {@link ExampleRealTimeE2ETest} uses the same set-up methods.
 */
public final class DevServices {
  /** The example's topic (streams/order_events.yml). */
  public static final String TOPIC = "shop.order_events";
  /** The CDC user of the example's shop database (cdc/shop_db.yml); a local, made-up password. */
  public static final String SHOP_USER = "shop_cdc";
  public static final String SHOP_PASSWORD = "local-dev-only";

  /** The menu (raw_products.csv's products and prices) and the loyalty members the shop database starts with. */
  static final int[][] MENU_CENTS = {{10, 250}, {11, 380}, {12, 420}, {20, 300}, {21, 350}, {30, 1450}};
  static final String[] MENU_NAMES = {"Espresso", "Flat white", "Cold brew", "Croissant", "Banana bread", "Beans 250g"};
  static final Object[][] MEMBERS = {{1, "silver", 120}, {2, "gold", 340}, {3, "bronze", 40}, {4, "gold", 610}, {5, "bronze", 15}};

  private DevServices() {}

  public static void main(String[] args) throws Exception {
    int kafkaPort = 9092;
    int pgPort = 5433;
    boolean generate = false;
    double rate = 2;
    Path dataDir = Path.of("target", "dev-services");
    Path projectDir = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--kafka-port" -> kafkaPort = Integer.parseInt(args[++i]);
        case "--pg-port" -> pgPort = Integer.parseInt(args[++i]);
        case "--generate" -> generate = true;
        case "--rate" -> rate = Double.parseDouble(args[++i]);
        case "--data-dir" -> dataDir = Path.of(args[++i]);
        case "--project-dir" -> projectDir = Path.of(args[++i]);
        case "-h", "--help" -> {
          System.out.println("""
              Usage: services.sh [--generate] [--rate EVENTS_PER_SECOND] [--kafka-port 9092] [--pg-port 5433]
                Starts a Kafka broker and a Postgres (logical replication) for the coffee_shop example's
                stream and CDC source, prints the environment variables to export, and runs until Ctrl-C.
                --generate  also produce order events and make loyalty/menu changes (default 2 events/s)""");
          return;
        }
        default -> throw new IllegalArgumentException("Unknown option " + args[i] + " (see --help)");
      }
    }
    dataDir = dataDir.toAbsolutePath();
    Files.createDirectories(dataDir);
    if (projectDir != null) resetProjectState(projectDir);

    String bootstrap = "localhost:" + kafkaPort;
    KafkaClusterTestKit kafka = null;
    EmbeddedPostgres pg = null;
    try {
      System.out.println("Starting Kafka (KRaft) on localhost:" + kafkaPort + " ...");
      Path kafkaDir = dataDir.resolve("kafka");
      deleteTree(kafkaDir);
      kafka = startKafka(kafkaDir, kafkaPort);
      createTopic(bootstrap, 1);
      System.out.println("Starting Postgres 17 (wal_level=logical) on localhost:" + pgPort + " ...");
      Path pgData = dataDir.resolve("pgdata");
      stopLeftOverPostgres(pgData);
      deleteTree(pgData);
      pg = startPostgres(pgData, pgPort);
      try (Connection c = pg.getPostgresDatabase().getConnection()) {
        createShopDatabase(c);
      }
      try (Connection c = pg.getDatabase("postgres", "shop").getConnection()) {
        createShopTables(c);
      }
    } catch (Exception e) {
      System.err.println("Could not start the services: " + e);
      closeQuietly(kafka);
      closeQuietly(pg);
      System.exit(1);
    }
    KafkaClusterTestKit startedKafka = kafka;
    EmbeddedPostgres startedPg = pg;

    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stop.countDown();
      System.out.println("\nStopping Kafka and Postgres ...");
      closeQuietly(startedKafka);
      closeQuietly(startedPg);
    }));

    System.out.println();
    System.out.println("Kafka and Postgres are up (topic " + TOPIC + ", database shop). In another terminal:");
    System.out.println();
    StringBuilder export = new StringBuilder("    export");
    envVars(bootstrap, pgPort).forEach((k, v) -> export.append(' ').append(k).append('=').append(v));
    System.out.println(export);
    System.out.println();
    System.out.println(generate
        ? "Generating order events and loyalty/menu changes (about " + rate + " events/s). Ctrl-C stops everything."
        : "Ctrl-C stops both. (--generate also produces order events and database changes.)");

    if (!generate) {
      stop.await();
      return;
    }
    try (KafkaProducer<String, String> producer = producer(bootstrap);
         Connection shop = DriverManager.getConnection("jdbc:postgresql://localhost:" + pgPort + "/shop", "postgres", "")) {
      Generator gen = new Generator(new Random(), producer, shop, 1);
      long pauseMs = Math.max(20, Math.round(1000 / rate));
      long ticks = 0;
      while (stop.getCount() > 0) {
        gen.tick(LocalDateTime.now().truncatedTo(ChronoUnit.SECONDS));
        if (++ticks % 30 == 0) {
          System.out.println(LocalDateTime.now().truncatedTo(ChronoUnit.SECONDS) + "  " + gen.events + " events ("
              + gen.badEvents + " malformed), " + gen.changes + " database changes");
        }
        Thread.sleep(pauseMs);
      }
    } catch (Exception e) {
      if (stop.getCount() > 0) {
        System.err.println("The generator stopped: " + e);
        System.exit(1); // the shutdown hook stops the services
      }
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c == null) return;
    try {
      c.close();
    } catch (Exception ignored) {
      // stopping anyway
    }
  }

  /** A Postgres of an earlier run that was killed before it could stop its server: stopped (SIGINT, a fast shutdown). */
  private static void stopLeftOverPostgres(Path pgData) throws Exception {
    Path pidFile = pgData.resolve("postmaster.pid");
    if (!Files.exists(pidFile)) return;
    long pid = Long.parseLong(Files.readAllLines(pidFile).get(0).strip());
    var handle = ProcessHandle.of(pid).filter(h -> h.info().commandLine().orElse("").contains(pgData.toString()));
    if (handle.isEmpty()) return;
    System.out.println("Stopping the Postgres a killed earlier run left behind (pid " + pid + ") ...");
    new ProcessBuilder("kill", "-INT", String.valueOf(pid)).inheritIO().start().waitFor();
    handle.get().onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
  }

  private static void deleteTree(Path dir) throws java.io.IOException {
    if (!Files.exists(dir)) return;
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
    }
  }

  /** The environment the example's streams/order_events.yml and cdc/shop_db.yml read. */
  public static Map<String, String> envVars(String bootstrap, int pgPort) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("KAFKA_BOOTSTRAP", bootstrap);
    env.put("SHOP_DB_HOST", "localhost");
    env.put("SHOP_DB_PORT", String.valueOf(pgPort));
    env.put("SHOP_DB_USER", SHOP_USER);
    env.put("SHOP_DB_PASSWORD", SHOP_PASSWORD);
    return env;
  }

  /**
   * A one-node KRaft cluster with a client listener {@code LOCAL} on {@code port}, next to the test
   * kit's own listeners (which it binds to free ports of its choosing before the broker starts).
   */
  static KafkaClusterTestKit startKafka(Path dir, int port) throws Exception {
    TestKitNodes nodes = new TestKitNodes.Builder().setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1)
        .setBaseDirectory(dir).build();
    String broker = nodes.brokerListenerName().value();
    String controller = nodes.controllerListenerName().value();
    KafkaClusterTestKit c = new KafkaClusterTestKit.Builder(nodes)
        .setConfigProp("listeners", broker + "://localhost:0," + controller + "://localhost:0,LOCAL://localhost:" + port)
        .setConfigProp("listener.security.protocol.map", broker + ":" + nodes.brokerListenerProtocol().name + ","
            + controller + ":" + nodes.controllerListenerProtocol().name + ",LOCAL:PLAINTEXT")
        .setConfigProp("offsets.topic.replication.factor", "1")
        .setConfigProp("offsets.topic.num.partitions", "1")
        .setConfigProp("transaction.state.log.replication.factor", "1")
        .setConfigProp("transaction.state.log.min.isr", "1")
        .setConfigProp("group.initial.rebalance.delay.ms", "0")
        .setConfigProp("auto.create.topics.enable", "false")
        .build();
    c.format();
    c.startup();
    c.waitForReadyBrokers();
    return c;
  }

  static EmbeddedPostgres startPostgres(Path dataDir, int port) throws Exception {
    Path work = dataDir.getParent().resolve("embedded-pg");
    Files.createDirectories(work);
    return EmbeddedPostgres.builder()
        .setOverrideWorkingDirectory(work.toFile())
        .setDataDirectory(dataDir)
        .setCleanDataDirectory(true)
        .setPort(port)
        .setServerConfig("wal_level", "logical")
        .setServerConfig("max_replication_slots", "10")
        .setServerConfig("max_wal_senders", "10")
        .start();
  }

  /** The example's topic (keyed by order id: with more partitions, one order's events stay in order on one). */
  public static void createTopic(String bootstrap, int partitions) throws Exception {
    try (Admin a = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      a.createTopics(List.of(new NewTopic(TOPIC, partitions, (short) 1))).all().get();
    }
  }

  /** On the server's postgres database as a superuser: the CDC user (REPLICATION) and the shop database it owns. */
  public static void createShopDatabase(Connection superuser) throws SQLException {
    try (Statement st = superuser.createStatement()) {
      st.execute("create role " + SHOP_USER + " login replication password '" + SHOP_PASSWORD + "'");
      st.execute("create database shop owner " + SHOP_USER);
    }
  }

  /**
   * On the shop database: the loyalty programme and the menu, owned by the CDC user (so it can create
   * its publication), with full replica identity (history keeps a deleted row's values).
   */
  public static void createShopTables(Connection shop) throws SQLException {
    try (Statement st = shop.createStatement()) {
      st.execute("""
          create table public.loyalty_members (
            customer_id integer primary key,
            tier text not null,
            points integer not null,
            joined_at timestamp not null default date_trunc('second', now()))""");
      st.execute("""
          create table public.menu_prices (
            product_id integer primary key,
            name text not null,
            price_cents integer not null)""");
      for (String t : List.of("loyalty_members", "menu_prices")) {
        st.execute("alter table public." + t + " replica identity full");
        st.execute("alter table public." + t + " owner to " + SHOP_USER);
      }
      for (Object[] m : MEMBERS) {
        st.execute("insert into public.loyalty_members (customer_id, tier, points) values (" + m[0] + ", '" + m[1] + "', " + m[2] + ")");
      }
      for (int i = 0; i < MENU_CENTS.length; i++) {
        st.execute("insert into public.menu_prices values (" + MENU_CENTS[i][0] + ", '" + MENU_NAMES[i] + "', " + MENU_CENTS[i][1] + ")");
      }
    }
  }

  public static KafkaProducer<String, String> producer(String bootstrap) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    return new KafkaProducer<>(p);
  }

  /** One order event as the tills send it (streams/order_events.yml's schema). */
  public static String orderEvent(long orderId, int customerId, int productId, Object quantity, String status, LocalDateTime at) {
    String q = quantity instanceof String s ? "\"" + s + "\"" : String.valueOf(quantity);
    return "{\"order_id\": " + orderId + ", \"customer_id\": " + customerId + ", \"product_id\": " + productId
        + ", \"quantity\": " + q + ", \"status\": \"" + status + "\", \"event_at\": \""
        + at.format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")) + "\"}";
  }

  /**
   * Drops the stream's and the CDC source's tables and stored positions from the example's warehouse
   * (target/weir.duckdb): the services start empty, so positions kept from an earlier session would
   * point past everything the new broker and database hold.
   */
  static void resetProjectState(Path projectDir) throws SQLException {
    Path db = projectDir.resolve("target").resolve("weir.duckdb");
    if (!Files.exists(db)) return;
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + db.toAbsolutePath());
         Statement st = c.createStatement()) {
      st.execute("drop table if exists raw.order_events");
      st.execute("drop table if exists raw.order_event_errors");
      st.execute("drop table if exists raw.weir_stream_offsets");
      st.execute("drop table if exists raw.weir_dead_letters");
      st.execute("drop schema if exists raw_shop_db cascade");
    } catch (SQLException e) {
      throw new SQLException("Could not reset the stream and CDC state in " + db
          + " (is a weir command still running on it?): " + e.getMessage(), e);
    }
    System.out.println("Reset the example's stream and CDC state in " + db + " (the services start empty).");
  }

  /**
   * The shop at work: each tick places an order, or completes or cancels an open one (a completed
   * order earns its customer loyalty points, moving them up a tier), now and then a new member joins
   * or one leaves, a price changes, or a till sends a malformed event (a dead letter, sent with good
   * ones so a batch is never mostly bad).
   */
  static final class Generator {
    private final Random rnd;
    private final KafkaProducer<String, String> producer;
    private final Connection shop;
    private final List<long[]> open = new ArrayList<>(); // {order id, customer, product, quantity}
    private long nextOrder;
    private int nextCustomer = 6;
    private long tick;
    long events;
    long badEvents;
    long changes;

    Generator(Random rnd, KafkaProducer<String, String> producer, Connection shop, long firstOrder) {
      this.rnd = rnd;
      this.producer = producer;
      this.shop = shop;
      this.nextOrder = firstOrder;
    }

    void tick(LocalDateTime now) throws Exception {
      tick++;
      if (open.isEmpty() || open.size() < 8 && rnd.nextInt(3) > 0) {
        long[] o = {nextOrder++, 1 + rnd.nextInt(nextCustomer - 1), MENU_CENTS[rnd.nextInt(MENU_CENTS.length)][0], 1 + rnd.nextInt(3)};
        open.add(o);
        send(o, "placed", now);
      } else {
        long[] o = open.remove(rnd.nextInt(open.size()));
        boolean completed = rnd.nextInt(5) > 0;
        send(o, completed ? "completed" : "cancelled", now);
        if (completed) {
          int points = (int) (o[3] * 10);
          sql("update public.loyalty_members set points = points + " + points + ", tier = case when points + " + points
              + " >= 300 then 'gold' when points + " + points + " >= 100 then 'silver' else 'bronze' end where customer_id = " + o[1]);
        }
      }
      if (tick % 25 == 0) {
        for (int i = 0; i < 3; i++) {
          long[] o = {nextOrder++, 1 + rnd.nextInt(nextCustomer - 1), MENU_CENTS[rnd.nextInt(MENU_CENTS.length)][0], 1};
          open.add(o);
          send(o, "placed", now);
        }
        producer.send(new ProducerRecord<>(TOPIC, String.valueOf(nextOrder),
            orderEvent(nextOrder++, 1, 10, "two", "placed", now)));
        badEvents++;
        events++;
      }
      if (tick % 20 == 7) {
        sql("insert into public.loyalty_members (customer_id, tier, points) values (" + nextCustomer++ + ", 'bronze', 0)");
      }
      if (tick % 40 == 23) {
        sql("delete from public.loyalty_members where customer_id = " + (1 + rnd.nextInt(nextCustomer - 1)));
      }
      if (tick % 15 == 11) {
        int[] item = MENU_CENTS[rnd.nextInt(MENU_CENTS.length)];
        sql("update public.menu_prices set price_cents = greatest(100, price_cents + " + (rnd.nextBoolean() ? 10 : -10)
            + ") where product_id = " + item[0]);
      }
      producer.flush();
    }

    private void send(long[] o, String status, LocalDateTime at) {
      producer.send(new ProducerRecord<>(TOPIC, String.valueOf(o[0]),
          orderEvent(o[0], (int) o[1], (int) o[2], o[3], status, at)));
      events++;
    }

    private void sql(String s) throws SQLException {
      try (Statement st = shop.createStatement()) {
        changes += st.executeUpdate(s);
      }
    }
  }
}
