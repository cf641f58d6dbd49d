using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Mnist.Core.Tuning;
using Mnist.Testing;
using Npgsql;

namespace Mnist.Core.Tests.Tuning;

/// <summary>
/// The PostgreSQL store against the study store's contract, and what only it does: many studies in one database,
/// workers that open a study at once, reconnecting after a lost connection. The class's database is shared by its
/// tests; each test works on a study of its own name.
/// </summary>
[Trait("Category", "Postgres")]
[Trait("Category", "Slow")] // trains, or starts a server, a browser or processes: dotnet test --filter "Category!=Slow" leaves it out
public sealed class PostgresStudyStoreTests(PostgresDatabase database) : StudyStoreContract, IClassFixture<PostgresDatabase>
{
    private readonly string _study = "branin_" + Guid.NewGuid().ToString("N")[..10];

    protected override string StudyName => _study;

    protected override IStudyStore Unopened() => new PostgresStudyStore(database.Url, _study);

    private static StudyDefinition Study(string name) => new(name, TestFunctions.BraninSpace.Parameters, TuningObjective.ValLoss);

    private static ClaimRequest Request(string worker) =>
        new(worker, 5, TimeSpan.FromMinutes(1), trials => new TrialProposal([0.5, 0.5], TestFunctions.BraninSpace.FromUnit([0.5, 0.5])));

    /// <summary>The class database's URL with a password in it (when it has none, one the server does not ask for).</summary>
    private (string Url, string Password) UrlWithPassword()
    {
        var url = StorageUrl.Parse(database.Url);
        var password = new NpgsqlConnectionStringBuilder(url.ConnectionString).Password;
        if (!string.IsNullOrEmpty(password)) return (database.Url, password);
        const string secret = "s3cret-pw";
        var at = database.Url.IndexOf('@', StringComparison.Ordinal);
        var withSecret = at > 0
            ? database.Url[..at] + ":" + secret + database.Url[at..]
            : database.Url.Replace("://", "://" + Environment.UserName + ":" + secret + "@", StringComparison.Ordinal);
        return (withSecret, secret);
    }

    [Fact]
    public void Given_a_fresh_database_When_several_workers_open_one_study_at_once_Then_all_succeed_and_the_study_is_made_once()
    {
        PostgresServer.Shared.OnFreshDatabase(url =>
        {
            const int workers = 6;
            using var start = new Barrier(workers);
            var stores = new PostgresStudyStore[workers];
            try
            {
                var tasks = Enumerable.Range(0, workers).Select(i => Task.Factory.StartNew(() =>
                {
                    stores[i] = new PostgresStudyStore(url, "shared");
                    start.SignalAndWait(TimeSpan.FromSeconds(30));
                    stores[i].OpenOrCreate(Study("shared"));
                }, TaskCreationOptions.LongRunning)).ToArray();

                Task.WaitAll(tasks, TimeSpan.FromSeconds(60));

                Assert.All(tasks, t => Assert.True(t.IsCompletedSuccessfully, t.Exception?.ToString()));
                Assert.Equal(["shared"], PostgresStudyStore.StudyNames(url));
                var claimed = new[] { stores[0].Claim(Request("w0"))!.Id, stores[1].Claim(Request("w1"))!.Id }.Order();
                Assert.Equal([0, 1], claimed);
            }
            finally
            {
                foreach (var store in stores) store?.Dispose();
            }
        });
    }

    [Fact]
    public void Given_two_studies_in_one_database_When_both_claim_trials_Then_each_numbers_its_own_from_0()
    {
        using var a = new PostgresStudyStore(database.Url, _study + "_a");
        using var b = new PostgresStudyStore(database.Url, _study + "_b");
        a.OpenOrCreate(Study(_study + "_a"));
        b.OpenOrCreate(Study(_study + "_b"));

        var claims = new[] { a.Claim(Request("w"))!.Id, b.Claim(Request("w"))!.Id, a.Claim(Request("w"))!.Id, b.Claim(Request("w"))!.Id };

        Assert.Equal([0, 0, 1, 1], claims);
        Assert.Equal(2, a.Trials().Count);
        Assert.Equal(2, b.Trials().Count);
    }

    [Fact]
    public void Given_studies_in_a_database_When_listed_Then_StudyNames_returns_them_by_name()
    {
        PostgresServer.Shared.OnFreshDatabase(url =>
        {
            var before = PostgresStudyStore.StudyNames(url);
            foreach (var name in new[] { "zeta", "alpha" })
            {
                using var store = new PostgresStudyStore(url, name);
                store.OpenOrCreate(Study(name));
            }

            var names = PostgresStudyStore.StudyNames(url);

            Assert.Empty(before);
            Assert.Equal(["alpha", "zeta"], names);
        });
    }

    [Fact]
    public void Given_an_unknown_study_When_opened_for_reading_Then_the_error_names_it_the_server_without_its_password_and_the_studies_there()
    {
        using (Open()) { }
        var (url, password) = UrlWithPassword();

        var e = Assert.Throws<StudyNotFoundException>(() => PostgresStudyStore.OpenExisting(url, "no-such-study"));

        Assert.Contains("'no-such-study'", e.Message);
        Assert.Contains($"'{_study}'", e.Message);
        Assert.Contains(database.Name, e.Message);
        Assert.Contains("***", e.Message);
        Assert.DoesNotContain(password, e.Message);
    }

    [Fact]
    public void Given_a_database_without_studies_When_a_study_is_opened_for_reading_Then_the_error_says_it_holds_none()
    {
        PostgresServer.Shared.OnFreshDatabase(url =>
        {
            var e = Assert.Throws<StudyNotFoundException>(() => PostgresStudyStore.OpenExisting(url, "branin"));

            Assert.Contains("'branin'", e.Message);
            Assert.Contains("holds no studies", e.Message);
        });
    }

    [Fact]
    public void Given_a_study_with_trials_When_opened_for_reading_Then_its_definition_and_trials_are_read()
    {
        using (var store = Open())
        {
            var trial = store.Claim(Request("w1"))!;
            store.Finish(trial.Id, "w1", TrialResult.Completed(0.4, 1, 1, 0.1));
        }

        using var existing = PostgresStudyStore.OpenExisting(database.Url, _study);

        Assert.Equal(Branin.SpaceJson, existing.Definition.SpaceJson);
        Assert.Equal((TrialStatus.Completed, (double?)0.4), (existing.Trials()[0].Status, existing.Trials()[0].Score));
    }

    [Fact]
    public void Given_a_study_When_its_store_is_named_Then_the_location_shows_the_server_without_the_password_and_the_study()
    {
        using var byUrl = new PostgresStudyStore("postgresql://tuner:hunter2@db.example:5433/optuna?sslmode=require", "mnist-asha");
        using var byConnectionString = new PostgresStudyStore("Host=db.example;Port=5433;Username=tuner;Password=hunter2;Database=optuna", "mnist-asha");

        Assert.Equal("postgresql://tuner:***@db.example:5433/optuna?sslmode=require (study 'mnist-asha')", byUrl.Location);
        Assert.Equal("postgresql://tuner@db.example:5433/optuna (study 'mnist-asha')", byConnectionString.Location);
    }

    [Fact]
    public void Given_a_definition_of_another_study_When_the_store_opens_Then_it_refuses()
    {
        using var store = Unopened();

        var e = Assert.Throws<ArgumentException>(() => store.OpenOrCreate(Study("another")));

        Assert.Contains("'another'", e.Message);
        Assert.Contains($"'{_study}'", e.Message);
    }

    [Fact]
    public void Given_the_stores_connections_killed_by_the_server_When_the_store_is_called_again_Then_it_reconnects_and_the_call_succeeds()
    {
        var retries = new List<string>();
        using var store = new PostgresStudyStore(database.Url, _study) { OnRetry = m => { lock (retries) retries.Add(m); } };
        store.OpenOrCreate(Branin);
        var trial = store.Claim(Request("w1"))!;

        using (var admin = database.Open())
        using (var kill = new NpgsqlCommand("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()", admin))
        {
            Assert.True((long)kill.ExecuteScalar()! >= 1, "no connection of the store's to terminate");
        }

        var beat = store.Heartbeat(trial.Id, "w1");
        var finished = store.Finish(trial.Id, "w1", TrialResult.Completed(0.5, 1, 1, 0.1));

        Assert.True(beat);
        Assert.True(finished);
        Assert.Equal(TrialStatus.Completed, store.Trials()[trial.Id].Status);
        Assert.NotEmpty(retries);
        Assert.Contains("retrying", retries[0]);
    }

    [Fact]
    public void Given_a_server_that_does_not_answer_When_the_store_opens_Then_it_retries_with_backoff_and_then_fails_naming_the_server()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port; // closed again: nothing listens there
        }
        var retries = new List<string>();
        using var store = new PostgresStudyStore($"postgresql://tuner:hunter2@127.0.0.1:{port}/optuna", "branin")
        {
            RetryFor = TimeSpan.FromSeconds(2),
            OnRetry = retries.Add,
        };
        var clock = Stopwatch.StartNew();

        var e = Assert.Throws<StudyStoreUnavailableException>(() => store.OpenOrCreate(Study("branin")));

        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.4), TimeSpan.FromSeconds(30)); // 0.5 s, then 1 s
        Assert.Equal(2, retries.Count);
        Assert.Contains("retrying in 0.5 s", retries[0]);
        Assert.Contains("retrying in 1 s", retries[1]);
        Assert.Contains($"127.0.0.1:{port}", e.Message);
        Assert.Contains("'branin'", e.Message);
        Assert.DoesNotContain("hunter2", e.Message);
    }

    [Theory]
    [InlineData("57P01", true)] // admin_shutdown: the backend was terminated
    [InlineData("08006", true)] // connection_failure
    [InlineData("40001", true)] // serialization_failure
    [InlineData("23505", false)] // unique_violation
    [InlineData("42601", false)] // syntax_error
    public void Given_a_server_error_When_classified_Then_only_lost_connections_and_conflicts_are_retried(string sqlState, bool transient)
    {
        var error = new PostgresException("message", "FATAL", "FATAL", sqlState);

        Assert.Equal(transient, PostgresStudyStore.IsTransient(error));
    }

    [Fact]
    public void Given_a_client_error_When_classified_Then_one_caused_by_a_socket_or_io_error_is_retried()
    {
        Assert.True(PostgresStudyStore.IsTransient(new NpgsqlException("Exception while reading from stream", new EndOfStreamException())));
        Assert.True(PostgresStudyStore.IsTransient(new NpgsqlException("Failed to connect", new SocketException((int)SocketError.ConnectionRefused))));
        Assert.False(PostgresStudyStore.IsTransient(new NpgsqlException("No password has been provided")));
    }
}
