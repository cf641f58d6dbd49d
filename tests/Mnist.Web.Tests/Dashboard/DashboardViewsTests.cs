using System.Text.Json;
using Mnist.Core.Training;
using Mnist.Core.Tuning;
using Mnist.Web.Dashboard;

namespace Mnist.Web.Tests.Dashboard;

/// <summary>How the dashboard's API maps the store's records: pure functions, no server.</summary>
public sealed class DashboardViewsTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 8, 0, 0, TimeSpan.Zero);

    private static readonly SearchSpace Space = new(
    [
        new IntParameter("layers", 1, 2),
        new IntParameter("units_2", 64, 128, 64) { Conditions = [new HyperParameterCondition("layers", [2])] },
        new FloatParameter("learning_rate", 1e-4, 1e-2, Log: true),
        new ChoiceParameter("optimizer", ["adam", "sgd"]),
    ]);

    private static readonly StudyDefinition Definition = new("s", Space.Parameters, TuningObjective.ValAccuracy, "mnist");

    private static TrialRecord Trial(int id, TrialStatus status, double? score = null, int? rung = null, DateTimeOffset? heartbeat = null) =>
        new(id, status, new Dictionary<string, double> { ["layers"] = 1, ["units_2"] = 128, ["learning_rate"] = 0.001, ["optimizer"] = 1 }, [0.25, 0.75, 0.5, 0.75],
            score, score is null ? null : 2, null, status == TrialStatus.Running ? "host:1:w" : null, heartbeat, Now.AddMinutes(-1), null, 30, 1, 2, rung);

    [Fact]
    public void Heartbeat_age_is_the_seconds_since_the_beat()
    {
        Assert.Equal(12.5, DashboardViews.HeartbeatAge(Now.AddSeconds(-12.5), Now));
    }

    [Fact]
    public void Heartbeat_age_of_a_beat_from_a_clock_ahead_is_zero_not_negative()
    {
        Assert.Equal(0, DashboardViews.HeartbeatAge(Now.AddSeconds(3), Now));
    }

    [Fact]
    public void Heartbeat_age_without_a_beat_is_null()
    {
        Assert.Null(DashboardViews.HeartbeatAge(null, Now));
    }

    [Fact]
    public void Values_give_integers_as_integers_floats_as_numbers_choices_by_name_and_inactive_ones_null()
    {
        var values = DashboardViews.Values(Space, new Dictionary<string, double> { ["layers"] = 1, ["units_2"] = 128, ["learning_rate"] = 0.001, ["optimizer"] = 1 });

        Assert.Equal(1L, values["layers"]);
        Assert.Null(values["units_2"]); // active only with two layers
        Assert.Equal(0.001, values["learning_rate"]);
        Assert.Equal("sgd", values["optimizer"]);
    }

    [Fact]
    public void Values_name_every_hyperparameter_of_the_space_even_one_the_trial_lacks()
    {
        var values = DashboardViews.Values(Space, new Dictionary<string, double> { ["layers"] = 2 });

        Assert.Equal(["layers", "units_2", "learning_rate", "optimizer"], values.Keys);
        Assert.Null(values["learning_rate"]);
    }

    [Fact]
    public void Parameters_describe_each_type_with_its_range_or_choices_and_conditions()
    {
        var views = Space.Parameters.Select(DashboardViews.Parameter).ToList();

        Assert.Equal(("int", 64.0, 128.0, 64.0), (views[1].Type, views[1].Min!.Value, views[1].Max!.Value, views[1].Step!.Value));
        Assert.Equal("layers", Assert.Single(views[1].Conditions!).Parent);
        Assert.Equal(("float", true, (double?)null), (views[2].Type, views[2].Log, views[2].Step));
        Assert.Equal("choice", views[3].Type);
        Assert.Equal(["adam", "sgd"], views[3].Choices!);
    }

    [Fact]
    public void A_fixed_hyperparameter_is_described_and_valued_by_its_one_value_as_its_parameter_writes_it()
    {
        var space = new SearchSpace([new IntParameter("layers", 1, 3)]).WithFixed(new Dictionary<string, double> { ["layers"] = 2 }, "test");

        var view = DashboardViews.Parameter(space.Parameters[0]);
        var values = DashboardViews.Values(space, new Dictionary<string, double> { ["layers"] = 2 });

        Assert.Equal(("fixed", (double?)null, (double?)null), (view.Type, view.Min, view.Max));
        Assert.Equal(["2"], view.Choices!);
        Assert.Equal("2", values["layers"]);
    }

    [Fact]
    public void Counts_hold_every_status_and_the_best_is_the_best_completed_trial_not_a_pruned_one()
    {
        var trials = new[] { Trial(0, TrialStatus.Completed, 0.91), Trial(1, TrialStatus.Pruned, 0.95, rung: 0), Trial(2, TrialStatus.Completed, 0.93), Trial(3, TrialStatus.Running, heartbeat: Now), Trial(4, TrialStatus.Failed) };

        var summary = DashboardViews.Summary(Definition, trials);

        Assert.Equal(new StatusCounts(Completed: 2, Pruned: 1, Failed: 1, Running: 1, Queued: 0, Paused: 0), summary.Counts);
        Assert.Equal((5, 0.93, (int?)2), (summary.Trials, summary.BestScore!.Value, summary.BestTrial));
        Assert.Equal(("val_accuracy", "max"), (summary.Objective, summary.Direction));
    }

    [Fact]
    public void State_lists_the_running_trials_with_their_worker_and_heartbeat_age()
    {
        var state = DashboardViews.State(Definition, [Trial(0, TrialStatus.Completed, 0.9), Trial(1, TrialStatus.Running, heartbeat: Now.AddSeconds(-4))], Now);

        var running = Assert.Single(state.Running);
        Assert.Equal((1, "host:1:w", 4.0), (running.Id, running.Worker, running.HeartbeatAgeSeconds!.Value));
        Assert.Equal(0, state.Best!.Id);
        Assert.Equal(4, state.Space.Count);
    }

    [Fact]
    public void A_trial_has_its_rung_only_when_pruned()
    {
        var pruned = DashboardViews.Trial(Space, Trial(0, TrialStatus.Pruned, 0.5, rung: 1), [], Now);
        var completed = DashboardViews.Trial(Space, Trial(1, TrialStatus.Completed, 0.9, rung: 2), [], Now);

        Assert.Equal(("pruned", (int?)1), (pruned.Status, pruned.Rung));
        Assert.Null(completed.Rung);
    }

    [Fact]
    public void A_trial_s_curve_is_its_epochs_with_values_the_store_lacks_as_null()
    {
        var view = DashboardViews.Trial(Space, Trial(0, TrialStatus.Completed, 0.9), [new EpochRecord(1, 0.4, 0.88, 0.3, 0.9, 1e-3, 12), new EpochRecord(2, double.NaN, 0.9, double.NaN, 0.91, 1e-3, 11)], Now);

        Assert.Equal([1, 2], view.Curve.Select(e => e.Epoch));
        Assert.Equal((0.9, 0.3), (view.Curve[0].ValAccuracy!.Value, view.Curve[0].ValLoss!.Value));
        Assert.Null(view.Curve[1].ValLoss);
    }

    [Fact]
    public void A_trial_pruned_before_a_whole_epoch_has_no_best_epoch()
    {
        var view = DashboardViews.Trial(Space, Trial(0, TrialStatus.Pruned, 0.11, rung: 0) with { BestEpoch = 0 }, [], Now);

        Assert.Null(view.BestEpoch);
    }

    [Fact]
    public void A_finished_trial_has_no_heartbeat_age()
    {
        var view = DashboardViews.Trial(Space, Trial(0, TrialStatus.Completed, 0.9, heartbeat: Now.AddSeconds(-100)), [], Now);

        Assert.Null(view.HeartbeatAgeSeconds);
    }

    [Fact]
    public void Json_is_snake_case_and_writes_unknown_fields_as_null()
    {
        var json = JsonSerializer.Serialize(DashboardViews.Trial(Space, Trial(0, TrialStatus.Queued), [], Now), DashboardViews.JsonOptions);
        var root = JsonDocument.Parse(json).RootElement;

        Assert.Equal(JsonValueKind.Null, root.GetProperty("score").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("heartbeat_age_seconds").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("hyperparameters").GetProperty("units_2").ValueKind);
        Assert.Equal("queued", root.GetProperty("status").GetString());
    }
}
