using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Mnist.Core.Tuning;
using Npgsql;

namespace Mnist.Testing;

/// <summary>
/// A PostgreSQL server for tests. With <c>$MNIST_TEST_POSTGRES</c> (a <c>postgresql://</c> URL, as .ci/run
/// sets) it is that server; otherwise a throwaway cluster of its own: <c>initdb</c> into a temporary folder
/// (trust authentication, superuser <c>postgres</c>), <c>pg_ctl start</c> on a free port of 127.0.0.1 with
/// its socket in that folder, run as the <c>postgres</c> user when the process is root; stopped
/// (<c>pg_ctl stop -m immediate</c>) and the folder deleted on dispose. PostgreSQL missing is an error, never a
/// skip: <c>apt-get install postgresql</c>.
/// <para>
/// One server per test process: <see cref="Shared"/>, started on first use and stopped at process exit.
/// Each test class takes its own empty database: <c>IClassFixture&lt;PostgresDatabase&gt;</c>, or
/// <see cref="CreateDatabase"/> / <see cref="DropDatabase"/>.
/// </para>
/// </summary>
public sealed class PostgresServer : IDisposable
{
    /// <summary>A postgresql:// URL of a server to use instead of starting one (its user must be allowed to create databases).</summary>
    public const string EnvironmentVariable = "MNIST_TEST_POSTGRES";

    private const string Superuser = "postgres";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(120);

    private static readonly Lazy<PostgresServer> SharedServer = new(() =>
    {
        var server = FromEnvironmentOrStart();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Dispose();
        return server;
    });

    private readonly StorageUrl _url;
    private readonly string? _root; // the throwaway cluster's folder; null for a server given by URL
    private readonly string? _binDir;
    private readonly bool _asPostgresUser;
    private readonly ConcurrentDictionary<string, byte> _databases = new();
    private int _disposed;

    private PostgresServer(StorageUrl url, string? root, string? binDir, bool asPostgresUser)
    {
        _url = url;
        _root = root;
        _binDir = binDir;
        _asPostgresUser = asPostgresUser;
    }

    /// <summary>The server of this test process: <c>$MNIST_TEST_POSTGRES</c>, else a cluster started on first use and stopped at exit.</summary>
    public static PostgresServer Shared => SharedServer.Value;

    /// <summary>The maintenance database's URL (postgresql://postgres@127.0.0.1:PORT/postgres for a cluster of its own).</summary>
    public string ConnectionUrl => _url.Value;

    /// <summary>The maintenance database's Npgsql connection string.</summary>
    public string ConnectionString => _url.ConnectionString!;

    /// <summary>True for a cluster this process started; false for <c>$MNIST_TEST_POSTGRES</c>'s server.</summary>
    public bool OwnsCluster => _root is not null;

    /// <summary>The throwaway cluster's folder (data in data/, the socket, the server's log in postgres.log); null for a server given by URL.</summary>
    public string? Folder => _root;

    /// <summary><see cref="FromUrl"/> of <c>$MNIST_TEST_POSTGRES</c> when it is set, else <see cref="Start"/>.</summary>
    public static PostgresServer FromEnvironmentOrStart() =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } url ? FromUrl(url) : Start();

    /// <summary>A running server, given by URL: databases are created and dropped on it, the server itself is left alone.</summary>
    public static PostgresServer FromUrl(string url)
    {
        var parsed = StorageUrl.Parse(url);
        if (!parsed.IsPostgres) throw new ArgumentException($"{EnvironmentVariable}={parsed.Display}: expected a postgresql:// URL", nameof(url));
        var server = new PostgresServer(parsed, null, null, false);
        try
        {
            server.Scalar("SELECT 1");
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            throw new InvalidOperationException($"{EnvironmentVariable}={parsed.Display}: cannot connect: {e.Message}", e);
        }
        return server;
    }

    /// <summary>Starts a throwaway cluster of this process's own (the caller disposes it).</summary>
    public static PostgresServer Start()
    {
        var binDir = FindBinDir();
        var asPostgres = Environment.IsPrivilegedProcess; // initdb and postgres refuse to run as root
        // As root the folder is the postgres user's, in /tmp (a $TMPDIR under /root would be out of its reach).
        var root = Path.Combine(asPostgres ? "/tmp" : Path.GetTempPath(), "mnist-pg-" + Guid.NewGuid().ToString("N")[..12]);
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(root);
        else Directory.CreateDirectory(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            if (asPostgres) Run("chown", [Superuser + ":" + Superuser, root], asPostgres: false);
            var data = Path.Combine(root, "data");
            Run(Path.Combine(binDir, "initdb"), ["-D", data, "-U", Superuser, "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"], asPostgres);

            Exception? last = null;
            for (var attempt = 0; attempt < 5; attempt++) // another process may take the free port before the server binds it
            {
                var port = FreePort();
                File.WriteAllText(Path.Combine(data, "mnist-tests.conf"), $"""
                    listen_addresses = '127.0.0.1'
                    port = {port.ToString(CultureInfo.InvariantCulture)}
                    unix_socket_directories = '{root}'
                    max_connections = 200
                    fsync = off
                    synchronous_commit = off
                    full_page_writes = off
                    """ + "\n");
                if (asPostgres) Run("chown", [Superuser + ":" + Superuser, Path.Combine(data, "mnist-tests.conf")], asPostgres: false);
                if (attempt == 0) File.AppendAllText(Path.Combine(data, "postgresql.conf"), "\ninclude 'mnist-tests.conf'\n");
                try
                {
                    Run(Path.Combine(binDir, "pg_ctl"), ["start", "-D", data, "-l", Path.Combine(root, "postgres.log"), "-w", "-t", "60", "-s"], asPostgres);
                }
                catch (InvalidOperationException e)
                {
                    last = e;
                    continue;
                }
                StartWatchdog(root, binDir, asPostgres);
                var url = StorageUrl.Parse($"postgresql://{Superuser}@127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/postgres");
                return new PostgresServer(url, root, binDir, asPostgres);
            }
            throw new InvalidOperationException($"PostgreSQL did not start in {root}: {last?.Message}\n{LogTail(root)}", last);
        }
        catch
        {
            DeleteFolder(root);
            throw;
        }
    }

    /// <summary>Creates an empty database with a fresh random name; returns its URL.</summary>
    public string CreateDatabase(string prefix = "mnist_test")
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(63, prefix.Length + 33)].ToLowerInvariant();
        Execute($"CREATE DATABASE {Quote(name)}");
        _databases[name] = 0;
        return _url.WithDatabase(name).Value;
    }

    /// <summary>Runs <paramref name="test"/> on a fresh empty database of its own (no schema yet), dropped afterwards.</summary>
    public void OnFreshDatabase(Action<string> test)
    {
        ArgumentNullException.ThrowIfNull(test);
        var url = CreateDatabase();
        try
        {
            test(url);
        }
        finally
        {
            DropDatabase(url);
        }
    }

    /// <summary>Drops a database made by <see cref="CreateDatabase"/> (by URL or name), closing its connections first.</summary>
    public void DropDatabase(string urlOrName)
    {
        ArgumentException.ThrowIfNullOrEmpty(urlOrName);
        var url = urlOrName.Contains("://", StringComparison.Ordinal) ? StorageUrl.Parse(urlOrName) : _url.WithDatabase(urlOrName);
        var name = url.Database ?? throw new ArgumentException($"{url.Display}: no database", nameof(urlOrName));
        using (var pooled = new NpgsqlConnection(url.ConnectionString)) NpgsqlConnection.ClearPool(pooled);
        Execute($"DROP DATABASE IF EXISTS {Quote(name)} WITH (FORCE)");
        _databases.TryRemove(name, out _);
    }

    /// <summary>Runs one statement on the maintenance database; returns the first column of the first row.</summary>
    public object? Scalar(string sql)
    {
        using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        return command.ExecuteScalar();
    }

    /// <summary>Stops a cluster of its own and deletes its folder; on a server given by URL, drops the databases still left.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (_root is null)
        {
            foreach (var name in _databases.Keys)
            {
                try { DropDatabase(name); } catch (NpgsqlException) { } catch (InvalidOperationException) { }
            }
            return;
        }
        NpgsqlConnection.ClearAllPools();
        try
        {
            Run(Path.Combine(_binDir!, "pg_ctl"), ["stop", "-D", Path.Combine(_root, "data"), "-m", "immediate", "-w", "-s"], _asPostgresUser);
        }
        catch (InvalidOperationException)
        {
            // Already stopped: still delete the folder.
        }
        DeleteFolder(_root);
    }

    private void Execute(string sql) => Scalar(sql);

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>PostgreSQL's server binaries: the newest /usr/lib/postgresql/N/bin (Debian), else initdb on PATH.</summary>
    private static string FindBinDir()
    {
        const string debian = "/usr/lib/postgresql";
        if (Directory.Exists(debian))
        {
            var newest = Directory.GetDirectories(debian)
                .Select(d => (Dir: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : -1))
                .Where(d => File.Exists(Path.Combine(d.Dir, "initdb")) && File.Exists(Path.Combine(d.Dir, "pg_ctl")))
                .OrderByDescending(d => d.Version)
                .Select(d => d.Dir)
                .FirstOrDefault();
            if (newest is not null) return newest;
        }
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            if (File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl"))) return dir;
        }
        var ci = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)
            ? " CI=true: the PostgreSQL tests must run in CI (.ci/run installs postgresql and sets " + EnvironmentVariable + ")."
            : "";
        throw new InvalidOperationException(
            $"PostgreSQL's initdb and pg_ctl were not found (in {debian}/*/bin or on PATH): apt-get install postgresql, " +
            $"or set {EnvironmentVariable}=postgresql://USER@HOST:PORT/postgres to use a running server.{ci}");
    }

    /// <summary>
    /// The test host may be killed before its exit handlers finish (vstest does so right after a run), or crash:
    /// a detached shell waits for this process to end and then stops the cluster and deletes its folder, unless
    /// <see cref="Dispose"/> did so first.
    /// </summary>
    private static void StartWatchdog(string root, string binDir, bool asPostgres)
    {
        const string watchdog = """
            while kill -0 "$1" 2>/dev/null && [ -d "$2" ]; do sleep 1; done
            if [ -d "$2" ]; then $4 "$3" stop -D "$2/data" -m immediate -w -s; rm -rf "$2"; fi
            """;
        Run("sh", ["-c", "setsid sh -c \"$0\" watchdog \"$@\" </dev/null >/dev/null 2>&1 &", watchdog,
            Environment.ProcessId.ToString(CultureInfo.InvariantCulture), root, Path.Combine(binDir, "pg_ctl"), asPostgres ? $"runuser -u {Superuser} --" : ""], asPostgres: false);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Runs a command (as the postgres user when asked, via runuser); throws with its output when it fails.</summary>
    private static void Run(string file, IReadOnlyList<string> args, bool asPostgres)
    {
        var start = new ProcessStartInfo(asPostgres ? "runuser" : file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        if (asPostgres)
        {
            foreach (var a in new[] { "-u", Superuser, "--", file }) start.ArgumentList.Add(a);
        }
        foreach (var a in args) start.ArgumentList.Add(a);
        var shown = string.Join(' ', start.ArgumentList.Prepend(start.FileName));

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"{shown}: could not start: {e.Message}", e);
        }
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(CommandTimeout))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{shown}: no answer in {CommandTimeout.TotalSeconds} s");
        }
        // pg_ctl start leaves the server holding no pipe of ours (its output goes to the log), so these end.
        if (!Task.WaitAll([stdout, stderr], CommandTimeout)) throw new InvalidOperationException($"{shown}: its output did not end");
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{shown}: exit code {process.ExitCode}\n{stdout.Result}{stderr.Result}".TrimEnd());
        }
    }

    private static string LogTail(string root)
    {
        var log = Path.Combine(root, "postgres.log");
        try
        {
            return File.Exists(log) ? "postgres.log:\n" + string.Join('\n', File.ReadLines(log).TakeLast(20)) : "(no postgres.log)";
        }
        catch (IOException e)
        {
            return $"(postgres.log: {e.Message})";
        }
        catch (UnauthorizedAccessException e)
        {
            return $"(postgres.log: {e.Message})";
        }
    }

    private static void DeleteFolder(string path)
    {
        try { Directory.Delete(path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>
/// An empty database of its own on <see cref="PostgresServer.Shared"/>, dropped on dispose:
/// <c>IClassFixture&lt;PostgresDatabase&gt;</c> gives each test class one.
/// </summary>
public sealed class PostgresDatabase : IDisposable
{
    /// <summary>A database on <see cref="PostgresServer.Shared"/> (xunit's fixtures take one public constructor: this one).</summary>
    public PostgresDatabase()
        : this(PostgresServer.Shared)
    {
    }

    private PostgresDatabase(PostgresServer server)
    {
        ArgumentNullException.ThrowIfNull(server);
        Server = server;
        Url = server.CreateDatabase();
        var parsed = StorageUrl.Parse(Url);
        Name = parsed.Database!;
        ConnectionString = parsed.ConnectionString!;
    }

    /// <summary>A database on another server, e.g. one of <see cref="PostgresServer.Start"/>.</summary>
    public static PostgresDatabase On(PostgresServer server) => new(server);

    public PostgresServer Server { get; }

    /// <summary>The database's postgresql:// URL, as <c>--storage</c> takes it.</summary>
    public string Url { get; }

    public string Name { get; }

    public string ConnectionString { get; }

    /// <summary>An open connection to the database (the caller disposes it).</summary>
    public NpgsqlConnection Open()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        connection.Open();
        return connection;
    }

    public void Dispose() => Server.DropDatabase(Url);
}
