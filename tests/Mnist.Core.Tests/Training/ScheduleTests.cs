using Mnist.Core.Training;
using Mnist.Core.Tuning;

namespace Mnist.Core.Tests.Training;

/// <summary>Early stopping, ReduceLROnPlateau and one-cycle as Keras's callbacks and TorchSharp's schedulers define them, without tensors.</summary>
public sealed class ScheduleTests
{
    [Fact]
    public void Given_patience_3_When_three_epochs_do_not_improve_Then_training_stops_at_the_third()
    {
        var stopping = new EarlyStopping(3);
        var wait = 0;
        var stops = new List<bool>();
        foreach (var improved in new[] { true, false, false, false })
        {
            (wait, var stop) = stopping.Next(wait, improved, 0.5);
            stops.Add(stop);
        }

        Assert.Equal([false, false, false, true], stops);
    }

    [Fact]
    public void Given_an_improvement_When_waiting_Then_the_wait_starts_again()
    {
        Assert.Equal((0, false), new EarlyStopping(2).Next(1, improved: true, 0.4));
    }

    [Fact]
    public void Given_patience_0_When_nothing_improves_for_long_Then_training_never_stops()
    {
        Assert.False(new EarlyStopping(0).Next(1000, improved: false, 0.5).Stop);
    }

    [Fact]
    public void Given_a_non_finite_loss_When_checked_Then_it_is_no_improvement_and_training_stops_at_once()
    {
        var stopping = new EarlyStopping(5);

        Assert.False(stopping.Improves(double.NaN, 1.0));
        Assert.True(stopping.Next(0, improved: false, double.NaN).Stop);
    }

    [Fact]
    public void Given_a_min_delta_When_the_loss_falls_by_less_Then_it_is_no_improvement()
    {
        var stopping = new EarlyStopping(5, MinDelta: 0.01);

        Assert.False(stopping.Improves(0.495, 0.5));
        Assert.True(stopping.Improves(0.489, 0.5));
    }

    [Fact]
    public void Given_the_default_monitor_When_nothing_is_said_Then_it_is_val_loss_and_starts_from_plus_infinity()
    {
        var stopping = new EarlyStopping(5);

        Assert.Equal("val_loss", stopping.Monitor.Name);
        Assert.Equal(double.PositiveInfinity, stopping.Unset);
        Assert.True(stopping.Improves(0.3, stopping.Unset));
    }

    [Fact]
    public void Given_val_accuracy_monitored_When_the_accuracy_rises_Then_it_improves_and_when_it_falls_it_does_not()
    {
        var stopping = new EarlyStopping(5) { Monitor = Objective.ValAccuracy };

        Assert.True(stopping.Improves(0.9952, 0.9950));
        Assert.False(stopping.Improves(0.9948, 0.9950));
    }

    [Fact]
    public void Given_val_accuracy_monitored_When_an_epoch_ties_the_best_Then_it_is_no_improvement()
    {
        var stopping = new EarlyStopping(5) { Monitor = Objective.ValAccuracy };

        Assert.False(stopping.Improves(0.9950, 0.9950));
    }

    [Fact]
    public void Given_val_accuracy_monitored_When_nothing_was_seen_yet_Then_the_best_is_minus_infinity_and_any_accuracy_improves_it()
    {
        var stopping = new EarlyStopping(5) { Monitor = Objective.ValAccuracy };

        Assert.Equal(double.NegativeInfinity, stopping.Unset);
        Assert.True(stopping.Improves(0.0, stopping.Unset));
    }

    [Fact]
    public void Given_val_accuracy_monitored_with_a_min_delta_When_the_accuracy_rises_by_less_Then_it_is_no_improvement()
    {
        var stopping = new EarlyStopping(5, MinDelta: 0.001) { Monitor = Objective.ValAccuracy };

        Assert.False(stopping.Improves(0.9955, 0.9950));
        Assert.True(stopping.Improves(0.9961, 0.9950));
    }

    [Fact]
    public void Given_patience_2_and_factor_a_half_When_two_epochs_do_not_improve_Then_the_rate_halves_and_the_wait_restarts()
    {
        var plateau = new ReduceLrOnPlateau(2, 0.5, 1e-6);

        var (wait1, lr1) = plateau.Next(0, improved: false, 1e-3);
        var (wait2, lr2) = plateau.Next(wait1, improved: false, lr1);

        Assert.Equal((1, 1e-3), (wait1, lr1));
        Assert.Equal((0, 5e-4), (wait2, lr2));
    }

    [Fact]
    public void Given_the_minimum_rate_When_a_plateau_would_reduce_it_Then_it_stays_at_the_minimum()
    {
        var plateau = new ReduceLrOnPlateau(1, 0.1, 1e-4);

        Assert.Equal(1e-4, plateau.Next(0, improved: false, 5e-4).LearningRate);
        Assert.Equal(1e-4, plateau.Next(0, improved: false, 1e-4).LearningRate);
    }

    [Fact]
    public void Given_a_one_cycle_schedule_When_read_along_the_run_Then_it_warms_up_from_a_tenth_to_the_peak_and_anneals_to_a_thousandth()
    {
        var cycle = new OneCycleSchedule(1e-2);

        Assert.Equal(1e-3, cycle.At(0, 100), 12);
        Assert.Equal(1e-2, cycle.At(25, 100), 12);
        Assert.True(cycle.At(10, 100) < cycle.At(20, 100));
        Assert.True(cycle.At(60, 100) > cycle.At(90, 100));
        Assert.Equal(1e-5, cycle.At(100, 100), 12);
    }
}
