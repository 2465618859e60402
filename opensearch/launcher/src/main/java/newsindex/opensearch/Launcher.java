package newsindex.opensearch;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.index.mapper.MapperExtrasPlugin;
import org.opensearch.index.reindex.ReindexPlugin;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

import sun.misc.Signal;

/**
 * Starts one real OpenSearch 2.19 node in this JVM, with its Netty HTTP layer on a loopback port,
 * and keeps it running until SIGTERM or SIGINT, which close it and exit 0.
 *
 * Options (each falls back to the environment variable in brackets, then to a default):
 *   --name NAME (OS_NODE_NAME, node-0)          --cluster NAME (OS_CLUSTER_NAME, newsindex-test)
 *   --home DIR (OS_HOME, required): path.home; data in DIR/data, logs in DIR/logs
 *   --http-port N (OS_HTTP_PORT, 9400)          --transport-port N (OS_TRANSPORT_PORT, 9500)
 *   --seed-hosts H:P,... (OS_SEED_HOSTS)        --initial-managers NAME,... (OS_INITIAL_MANAGERS)
 *   -Ekey=value: any other node setting (repeatable).
 * Without seed hosts the node runs with discovery.type=single-node.
 */
public final class Launcher {
    /** The modules a distribution loads from modules/, here loaded as classpath plugins. */
    static final List<Class<? extends Plugin>> MODULES =
        List.of(Netty4Plugin.class, CommonAnalysisPlugin.class, MapperExtrasPlugin.class, ReindexPlugin.class);

    /** Node's constructor that takes classpath plugins is protected in 2.x. */
    static final class ClasspathNode extends Node {
        ClasspathNode(Environment env, Collection<Class<? extends Plugin>> plugins) {
            super(env, plugins, true);
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> env = System.getenv();
        String name = env.getOrDefault("OS_NODE_NAME", "node-0");
        String cluster = env.getOrDefault("OS_CLUSTER_NAME", "newsindex-test");
        String home = env.get("OS_HOME");
        String httpPort = env.getOrDefault("OS_HTTP_PORT", "9400");
        String transportPort = env.getOrDefault("OS_TRANSPORT_PORT", "9500");
        String seeds = env.getOrDefault("OS_SEED_HOSTS", "");
        String managers = env.getOrDefault("OS_INITIAL_MANAGERS", "");
        Settings.Builder extra = Settings.builder();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.startsWith("-E") && a.indexOf('=') > 2) {
                extra.put(a.substring(2, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
                continue;
            }
            if (i + 1 >= args.length) throw new IllegalArgumentException("missing value after " + a);
            String v = args[++i];
            switch (a) {
                case "--name": name = v; break;
                case "--cluster": cluster = v; break;
                case "--home": home = v; break;
                case "--http-port": httpPort = v; break;
                case "--transport-port": transportPort = v; break;
                case "--seed-hosts": seeds = v; break;
                case "--initial-managers": managers = v; break;
                default: throw new IllegalArgumentException("unknown option " + a);
            }
        }
        if (home == null) throw new IllegalArgumentException("--home DIR (or OS_HOME) is required");
        Path homeDir = Path.of(home).toAbsolutePath();
        Path config = homeDir.resolve("config");
        for (String d : List.of("config", "data", "logs", "modules", "plugins")) Files.createDirectories(homeDir.resolve(d));
        Path log4j = config.resolve("log4j2.properties");
        if (Files.notExists(log4j)) {
            try (InputStream in = Launcher.class.getResourceAsStream("/log4j2.properties")) { Files.copy(in, log4j); }
        }

        Settings.Builder s = Settings.builder()
            .put("cluster.name", cluster).put("node.name", name)
            .put("path.home", homeDir.toString())
            .put("path.data", homeDir.resolve("data").toString())
            .put("path.logs", homeDir.resolve("logs").toString())
            .put("network.host", "127.0.0.1")
            .put("http.port", httpPort).put("transport.port", transportPort)
            .putList("node.roles", "cluster_manager", "data", "ingest")
            .put("node.processors", 1)
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .put("indices.breaker.total.use_real_memory", false);
        if (seeds.isEmpty()) {
            s.put("discovery.type", "single-node");
        } else {
            s.putList("discovery.seed_hosts", seeds.split(","));
            if (!managers.isEmpty()) s.putList("cluster.initial_cluster_manager_nodes", managers.split(","));
        }
        s.put(extra.build());

        final String nodeName = name;
        Environment environment = InternalSettingsPreparer.prepareEnvironment(s.build(), Map.of(), config, () -> nodeName);
        LogConfigurator.setNodeName(nodeName);
        LogConfigurator.configure(environment);

        CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("TERM"), sig -> stop.countDown());
        Signal.handle(new Signal("INT"), sig -> stop.countDown());

        Node node = new ClasspathNode(environment, MODULES);
        node.start();
        System.out.println("launcher: node " + nodeName + " started, http on 127.0.0.1:" + httpPort);
        stop.await(); // the main thread keeps the JVM alive until a signal arrives
        System.out.println("launcher: stopping node " + nodeName);
        node.close();
        boolean closed = node.awaitClose(30, TimeUnit.SECONDS);
        System.out.println("launcher: node " + nodeName + (closed ? " closed" : " did not close in 30s"));
        System.exit(closed ? 0 : 1);
    }
}
