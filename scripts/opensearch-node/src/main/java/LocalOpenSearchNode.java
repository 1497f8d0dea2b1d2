/*
 * Minimal launcher for a real single-node OpenSearch server assembled from
 * Maven Central artifacts (see ../../../pom.xml). Used by scripts/opensearch-local.
 *
 * The OpenSearch distribution normally loads its bundled modules (HTTP transport,
 * analysis-common, mapper-extras, painless, ...) from a modules/ directory. Here
 * the same module jars are on the class path instead, so they are handed to the
 * node as "classpath plugins" through the protected Node constructor.
 *
 * Usage: java -cp <classes>:<dependency jars> LocalOpenSearchNode <config dir> [pid file]
 *   <config dir> must contain opensearch.yml and log4j2.properties; path.home is taken
 *   from the system property opensearch.path.home (defaults to the parent of <config dir>).
 */

import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

public final class LocalOpenSearchNode {

    /** Module plugin classes; a module whose jar is absent from the class path is skipped. */
    private static final String[] MODULE_PLUGINS = {
        "org.opensearch.transport.Netty4Plugin",                               // transport-netty4 (HTTP + transport)
        "org.opensearch.analysis.common.CommonAnalysisPlugin",                 // analysis-common
        "org.opensearch.index.mapper.MapperExtrasPlugin",                      // mapper-extras
        "org.opensearch.painless.PainlessPlugin",                              // lang-painless
        "org.opensearch.script.mustache.MustachePlugin",                       // lang-mustache
        "org.opensearch.search.aggregations.matrix.MatrixAggregationPlugin",   // aggs-matrix-stats
        "org.opensearch.join.ParentJoinPlugin",                                // parent-join
        "org.opensearch.index.reindex.ReindexPlugin",                          // reindex
        "org.opensearch.index.rankeval.RankEvalPlugin",                        // rank-eval
        "org.opensearch.percolator.PercolatorPlugin",                          // percolator
        "org.opensearch.ingest.common.IngestCommonPlugin",                     // ingest-common
    };

    /** A Node that accepts plugin classes found on the class path. */
    static final class ClasspathPluginNode extends Node {
        ClasspathPluginNode(Environment environment, Collection<Class<? extends Plugin>> plugins) {
            super(environment, plugins, true);
        }
    }

    private LocalOpenSearchNode() {}

    public static void main(String[] args) {
        try {
            run(args);
        } catch (Throwable t) {
            fail(t);
        }
    }

    private static void run(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: LocalOpenSearchNode <config dir> [pid file]");
            System.exit(64);
        }
        final Path configDir = Paths.get(args[0]).toAbsolutePath().normalize();
        final String home = System.getProperty("opensearch.path.home", configDir.getParent().toString());
        if (args.length > 1) {
            Path pidFile = Paths.get(args[1]);
            Files.write(pidFile, (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII));
        }

        final Settings input = Settings.builder().put("path.home", home).build();
        final Environment environment =
            InternalSettingsPreparer.prepareEnvironment(input, Collections.emptyMap(), configDir, () -> "local-node");

        LogConfigurator.registerErrorListener();
        LogConfigurator.setNodeName(Node.NODE_NAME_SETTING.get(environment.settings()));
        LogConfigurator.configure(environment);

        final List<Class<? extends Plugin>> plugins = new ArrayList<>();
        final ClassLoader loader = LocalOpenSearchNode.class.getClassLoader();
        for (String name : MODULE_PLUGINS) {
            try {
                plugins.add(Class.forName(name, false, loader).asSubclass(Plugin.class));
            } catch (ClassNotFoundException e) {
                System.err.println("[opensearch-local] module not on class path, skipped: " + name);
            }
        }

        final CountDownLatch stopped = new CountDownLatch(1);
        final Node node = new ClasspathPluginNode(environment, plugins);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                node.awaitClose(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                stopped.countDown();
            }
        }, "opensearch-local-shutdown"));

        node.start();
        System.out.println("[opensearch-local] node started with " + plugins.size() + " modules");
        // OpenSearch worker threads are daemons; keep the JVM alive until it is signalled.
        stopped.await();
    }

    /** Prints the stack trace, then a one-line summary (the last line of the log), and exits. */
    private static void fail(Throwable t) {
        t.printStackTrace();
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        System.err.println("[opensearch-local] FATAL: node failed to start: " + t
            + (root != t ? " (root cause: " + root + ")" : ""));
        System.err.flush();
        System.exit(1);
    }
}
