using System.Net;
using System.Text.Json;

namespace Mnist.Web.Tests.Dashboard;

/// <summary>
/// The dashboard's JSON API over a study built with the store API (<see cref="DashboardFixture"/>): every field of
/// the three endpoints, and a 404 problem for a study that is not there. Run on SQLite and on PostgreSQL.
/// </summary>
public abstract class DashboardApiTests(DashboardFixture dashboard)
{
    private async Task<JsonElement> Get(string path)
    {
        using var response = await dashboard.Client.GetAsync(new Uri(path, UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private static JsonElement Study(JsonElement list, string name) =>
        list.GetProperty("studies").EnumerateArray().Single(s => s.GetProperty("name").GetString() == name);

    [Fact]
    public async Task Studies_lists_every_study_of_the_storage_by_name()
    {
        var list = await Get("/api/studies");

        Assert.Equal([DashboardFixture.Empty, DashboardFixture.Watched], list.GetProperty("studies").EnumerateArray().Select(s => s.GetProperty("name").GetString()));
        Assert.False(string.IsNullOrEmpty(list.GetProperty("source").GetString()));
    }

    [Fact]
    public async Task Studies_gives_each_study_s_objective_direction_counts_by_status_and_best_score()
    {
        var watched = Study(await Get("/api/studies"), DashboardFixture.Watched);

        Assert.Equal(("val_accuracy", "max", 5), (watched.GetProperty("objective").GetString(), watched.GetProperty("direction").GetString(), watched.GetProperty("trials").GetInt32()));
        var counts = watched.GetProperty("counts");
        Assert.Equal((1, 1, 1, 1, 1, 0), (counts.GetProperty("completed").GetInt32(), counts.GetProperty("pruned").GetInt32(), counts.GetProperty("failed").GetInt32(),
            counts.GetProperty("running").GetInt32(), counts.GetProperty("queued").GetInt32(), counts.GetProperty("paused").GetInt32()));
        Assert.Equal((0.95, 0), (watched.GetProperty("best_score").GetDouble(), watched.GetProperty("best_trial").GetInt32()));
    }

    [Fact]
    public async Task Studies_gives_a_study_without_a_completed_trial_a_null_best_score()
    {
        var empty = Study(await Get("/api/studies"), DashboardFixture.Empty);

        Assert.Equal(("val_loss", "min", 0), (empty.GetProperty("objective").GetString(), empty.GetProperty("direction").GetString(), empty.GetProperty("trials").GetInt32()));
        Assert.Equal(JsonValueKind.Null, empty.GetProperty("best_score").ValueKind);
    }

    [Fact]
    public async Task Study_state_counts_its_trials_by_status()
    {
        var state = await Get("/api/studies/watched");

        Assert.Equal(("watched", "mnist", 5), (state.GetProperty("name").GetString(), state.GetProperty("dataset").GetString(), state.GetProperty("trials").GetInt32()));
        var counts = state.GetProperty("counts");
        Assert.Equal((1, 1, 1, 1, 1), (counts.GetProperty("completed").GetInt32(), counts.GetProperty("pruned").GetInt32(), counts.GetProperty("failed").GetInt32(),
            counts.GetProperty("running").GetInt32(), counts.GetProperty("queued").GetInt32()));
    }

    [Fact]
    public async Task Study_state_lists_the_running_trial_with_its_worker_and_a_fresh_heartbeat_age()
    {
        var running = Assert.Single((await Get("/api/studies/watched")).GetProperty("running").EnumerateArray());

        Assert.Equal((3, DashboardFixture.RunningWorker), (running.GetProperty("id").GetInt32(), running.GetProperty("worker").GetString()));
        Assert.InRange(running.GetProperty("heartbeat_age_seconds").GetDouble(), 0, 600);
        Assert.True(running.GetProperty("heartbeat").GetDateTimeOffset() <= DateTimeOffset.UtcNow.AddMinutes(1));
    }

    [Fact]
    public async Task Study_state_gives_the_best_trial_with_its_hyperparameters_inactive_ones_null()
    {
        var best = (await Get("/api/studies/watched")).GetProperty("best");

        Assert.Equal((0, 0.95, 2), (best.GetProperty("id").GetInt32(), best.GetProperty("score").GetDouble(), best.GetProperty("best_epoch").GetInt32()));
        var hp = best.GetProperty("hyperparameters");
        Assert.Equal((2, 128, 1e-3, "adam"), (hp.GetProperty("layers").GetInt32(), hp.GetProperty("units_2").GetInt32(), hp.GetProperty("learning_rate").GetDouble(), hp.GetProperty("optimizer").GetString()));
    }

    [Fact]
    public async Task Study_state_describes_the_search_space_names_types_ranges_and_choices()
    {
        var space = (await Get("/api/studies/watched")).GetProperty("space").EnumerateArray().ToList();

        Assert.Equal(["layers", "units_2", "learning_rate", "optimizer"], space.Select(p => p.GetProperty("name").GetString()));
        Assert.Equal(["int", "int", "float", "choice"], space.Select(p => p.GetProperty("type").GetString()));
        Assert.Equal((64, 128, 64), (space[1].GetProperty("min").GetInt32(), space[1].GetProperty("max").GetInt32(), space[1].GetProperty("step").GetInt32()));
        Assert.Equal("layers", space[1].GetProperty("conditions")[0].GetProperty("parent").GetString());
        Assert.Equal((1e-4, 1e-2, true), (space[2].GetProperty("min").GetDouble(), space[2].GetProperty("max").GetDouble(), space[2].GetProperty("log").GetBoolean()));
        Assert.Equal(["adam", "sgd"], space[3].GetProperty("choices").EnumerateArray().Select(c => c.GetString()));
    }

    [Fact]
    public async Task Trials_gives_every_trial_with_its_status_score_epochs_seconds_and_worker()
    {
        var trials = (await Get("/api/studies/watched/trials")).GetProperty("trials").EnumerateArray().ToList();

        Assert.Equal([0, 1, 2, 3, 4], trials.Select(t => t.GetProperty("id").GetInt32()));
        Assert.Equal(["completed", "pruned", "failed", "running", "queued"], trials.Select(t => t.GetProperty("status").GetString()));
        Assert.Equal((0.95, 2, 2.0, 20.0, "worker-a"), (trials[0].GetProperty("score").GetDouble(), trials[0].GetProperty("best_epoch").GetInt32(),
            trials[0].GetProperty("epochs").GetDouble(), trials[0].GetProperty("seconds").GetDouble(), trials[0].GetProperty("worker").GetString()));
        Assert.Equal(JsonValueKind.Null, trials[2].GetProperty("score").ValueKind);
        Assert.Equal("out of memory", trials[2].GetProperty("message").GetString());
        Assert.Equal(DashboardFixture.RunningWorker, trials[3].GetProperty("worker").GetString());
        Assert.Equal(JsonValueKind.Number, trials[3].GetProperty("heartbeat_age_seconds").ValueKind);
    }

    [Fact]
    public async Task Trials_gives_a_pruned_trial_its_rung_and_its_value_there()
    {
        var pruned = (await Get("/api/studies/watched/trials")).GetProperty("trials")[1];

        Assert.Equal((0, 0.4), (pruned.GetProperty("rung").GetInt32(), pruned.GetProperty("score").GetDouble()));
        var rung = Assert.Single(pruned.GetProperty("intermediate").EnumerateArray());
        Assert.Equal((0, 1.0 / 9, 0.4), (rung.GetProperty("rung").GetInt32(), rung.GetProperty("epochs").GetDouble(), rung.GetProperty("value").GetDouble()));
    }

    [Fact]
    public async Task Trials_gives_each_trial_its_hyperparameters_inactive_ones_null()
    {
        var hp = (await Get("/api/studies/watched/trials")).GetProperty("trials")[1].GetProperty("hyperparameters");

        Assert.Equal((1, 1e-4, "sgd"), (hp.GetProperty("layers").GetInt32(), hp.GetProperty("learning_rate").GetDouble(), hp.GetProperty("optimizer").GetString()));
        Assert.Equal(JsonValueKind.Null, hp.GetProperty("units_2").ValueKind);
    }

    [Fact]
    public async Task Trials_gives_each_trial_its_validation_curve_per_epoch()
    {
        var trials = (await Get("/api/studies/watched/trials")).GetProperty("trials");
        var curve = trials[0].GetProperty("curve").EnumerateArray().ToList();

        Assert.Equal([1, 2], curve.Select(e => e.GetProperty("epoch").GetInt32()));
        Assert.Equal([0.91, 0.95], curve.Select(e => e.GetProperty("val_accuracy").GetDouble()));
        Assert.Equal([0.31, 0.22], curve.Select(e => e.GetProperty("val_loss").GetDouble()));
        Assert.Equal(0, trials[2].GetProperty("curve").GetArrayLength());
    }

    [Theory]
    [InlineData("/api/studies/nosuch")]
    [InlineData("/api/studies/nosuch/trials")]
    public async Task An_unknown_study_is_a_404_problem_naming_it_and_the_studies_there(string path)
    {
        using var response = await dashboard.Client.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var detail = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString();
        Assert.Contains("'nosuch'", detail, StringComparison.Ordinal);
        Assert.Contains("'watched'", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Importance_of_a_study_with_one_completed_trial_is_a_409_naming_the_study()
    {
        using var response = await dashboard.Client.GetAsync(new Uri("/api/studies/watched/importance", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var detail = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString();
        Assert.Contains("watched", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_says_ok_and_names_the_source()
    {
        var health = await Get("/healthz");

        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.Equal((await Get("/api/studies")).GetProperty("source").GetString(), health.GetProperty("source").GetString());
    }

    [Fact]
    public async Task Api_answers_are_never_cached()
    {
        using var response = await dashboard.Client.GetAsync(new Uri("/api/studies", UriKind.Relative));

        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task Api_answers_are_never_sniffed_as_another_type()
    {
        using var response = await dashboard.Client.GetAsync(new Uri("/api/studies", UriKind.Relative));

        Assert.Equal("nosniff", string.Join(",", response.Headers.GetValues("X-Content-Type-Options")));
    }
}

[Trait("Category", "Slow")] // trains, or starts a server, a browser or processes: dotnet test --filter "Category!=Slow" leaves it out
public sealed class SqliteDashboardApiTests(SqliteDashboardFixture dashboard) : DashboardApiTests(dashboard), IClassFixture<SqliteDashboardFixture>;

[Trait("Category", "Slow")] // trains, or starts a server, a browser or processes: dotnet test --filter "Category!=Slow" leaves it out
[Trait("Category", "Postgres")]
public sealed class PostgresDashboardApiTests(PostgresDashboardFixture dashboard) : DashboardApiTests(dashboard), IClassFixture<PostgresDashboardFixture>;
