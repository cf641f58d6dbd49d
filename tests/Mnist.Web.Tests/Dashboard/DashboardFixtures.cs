using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Mnist.Core.Training;
using Mnist.Core.Tuning;
using Mnist.Testing;
using Mnist.Web.Dashboard;

namespace Mnist.Web.Tests.Dashboard;

/// <summary>
/// Two studies built with the store API, no training: <c>watched</c> (trial 0 completed over two epochs, 1 pruned
/// at rung 0, 2 failed, 3 running on worker <see cref="RunningWorker"/>, 4 queued) and <c>empty</c>; and the
/// dashboard over their storage on a free loopback port, in this process.
/// </summary>
public abstract class DashboardFixture : IAsyncLifetime
{
    public const string Watched = "watched";
    public const string Empty = "empty";
    public const string RunningWorker = "worker-b";

    public static readonly IReadOnlyList<HyperParameter> Space =
    [
        new IntParameter("layers", 1, 2),
        new IntParameter("units_2", 64, 128, 64) { Conditions = [new HyperParameterCondition("layers", [2])] },
        new FloatParameter("learning_rate", 1e-4, 1e-2, Log: true),
        new ChoiceParameter("optimizer", ["adam", "sgd"]),
    ];

    private WebApplication? _app;

    public HttpClient Client { get; private set; } = new();

    public Uri BaseAddress { get; private set; } = new("http://127.0.0.1/");

    /// <summary>A store of the study <paramref name="name"/>, to create.</summary>
    protected abstract IStudyStore Create(string name);

    /// <summary>The dashboard's options over the storage.</summary>
    protected abstract DashboardOptions Options();

    public async Task InitializeAsync()
    {
        using (var watched = Create(Watched)) Fill(watched);
        using (var empty = Create(Empty)) empty.OpenOrCreate(new StudyDefinition(Empty, Space, TuningObjective.ValLoss));
        (_app, BaseAddress) = await StartAsync(Options());
        Client = new HttpClient { BaseAddress = BaseAddress };
    }

    public static async Task<(WebApplication App, Uri BaseAddress)> StartAsync(DashboardOptions options)
    {
        var app = DashboardApp.Build(options with { Urls = "http://127.0.0.1:0" });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, new Uri(address.TrimEnd('/') + "/"));
    }

    private static void Fill(IStudyStore store)
    {
        store.OpenOrCreate(new StudyDefinition(Watched, Space, TuningObjective.ValAccuracy, "mnist"));
        var configurations = new[]
        {
            new Dictionary<string, double> { ["layers"] = 2, ["units_2"] = 128, ["learning_rate"] = 1e-3, ["optimizer"] = 0 },
            new Dictionary<string, double> { ["layers"] = 1, ["units_2"] = 64, ["learning_rate"] = 1e-4, ["optimizer"] = 1 },
            new Dictionary<string, double> { ["layers"] = 1, ["units_2"] = 64, ["learning_rate"] = 1e-2, ["optimizer"] = 0 },
            new Dictionary<string, double> { ["layers"] = 2, ["units_2"] = 64, ["learning_rate"] = 3e-3, ["optimizer"] = 1 },
            new Dictionary<string, double> { ["layers"] = 2, ["units_2"] = 128, ["learning_rate"] = 5e-4, ["optimizer"] = 1 },
        };
        var space = new SearchSpace(Space);
        TrialRecord Claim(string worker) => store.Claim(new ClaimRequest(worker, configurations.Length, TimeSpan.FromHours(1),
            trials => new TrialProposal(space.ToUnit(configurations[trials.Count]), configurations[trials.Count]))
        { OwnerIsDead = _ => false })!;

        var completed = Claim("worker-a");
        store.ReportEpoch(completed.Id, "worker-a", completed.Attempts, new EpochRecord(1, 0.5, 0.85, 0.31, 0.91, 1e-3, 10));
        store.ReportEpoch(completed.Id, "worker-a", completed.Attempts, new EpochRecord(2, 0.3, 0.92, 0.22, 0.95, 1e-3, 10));
        store.Finish(completed.Id, "worker-a", TrialResult.Completed(0.95, 2, 2, 20));

        var pruned = Claim("worker-a");
        store.ReportIntermediate(pruned.Id, "worker-a", pruned.Attempts, new RungValue(0, 1.0 / 9, 0.4));
        store.Finish(pruned.Id, "worker-a", TrialResult.Pruned(0.4, null, 0, 1.0 / 9, 3));

        var failed = Claim("worker-a");
        store.Finish(failed.Id, "worker-a", TrialResult.Failed("out of memory", 0, 1));

        Claim(RunningWorker);

        var queued = Claim("worker-a");
        store.Release(queued.Id, "worker-a");
    }

    public virtual async Task DisposeAsync()
    {
        Client.Dispose();
        if (_app is not null) await _app.DisposeAsync();
    }
}

/// <summary>The studies as two SQLite files in one folder; the dashboard over the folder (<c>--study DIR</c>).</summary>
public sealed class SqliteDashboardFixture : DashboardFixture
{
    public TempDir Dir { get; } = new();

    protected override IStudyStore Create(string name) => new SqliteStudyStore(SqliteStudyStore.FileFor(Dir.Path, name));

    protected override DashboardOptions Options() => new() { Study = Dir.Path };

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Dir.Dispose();
    }
}

/// <summary>The studies in a PostgreSQL database of their own; the dashboard over it (<c>--storage postgresql://...</c>).</summary>
public sealed class PostgresDashboardFixture : DashboardFixture
{
    public PostgresDatabase Database { get; } = new();

    protected override IStudyStore Create(string name) => new PostgresStudyStore(Database.Url, name);

    protected override DashboardOptions Options() => new() { Storage = Database.Url };

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Database.Dispose();
    }
}
