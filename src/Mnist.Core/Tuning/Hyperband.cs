namespace Mnist.Core.Tuning;

/// <summary>
/// Where a Hyperband trial stands in the schedule: its iteration and bracket, the round it runs
/// (or last ran), and the epochs it starts from and trains to in that round.
/// </summary>
public sealed record TrialPlan(int Iteration, int Bracket, int Round, int FromEpochs, int Epochs)
{
    /// <summary>True when this is the bracket's last round (the trial ends completed after it).</summary>
    public bool LastRound => Round >= Bracket;
}

/// <summary>What a schedule says when a worker asks for work.</summary>
public abstract record ScheduleDecision
{
    /// <summary>Paused trials that will never be promoted: they end as pruned, at the round they reached.</summary>
    public IReadOnlyList<int> Retire { get; init; } = [];

    /// <summary>A new configuration, trained from scratch to the plan's epochs.</summary>
    public sealed record Start(TrialProposal Proposal, TrialPlan Plan) : ScheduleDecision;

    /// <summary>A paused trial promoted to the next round: it continues from its saved weights and optimiser state.</summary>
    public sealed record Continue(int TrialId, TrialPlan Plan) : ScheduleDecision;

    /// <summary>Nothing can run until running trials end.</summary>
    public sealed record Wait : ScheduleDecision;

    /// <summary>The schedule is done.</summary>
    public sealed record Stop : ScheduleDecision;
}

/// <summary>Decides, from the study's trials, what a worker runs next (Hyperband); the store applies it inside the claim.</summary>
public interface ITrialScheduler
{
    string Name { get; }

    ScheduleDecision Next(IReadOnlyList<TrialRecord> trials, Random rng);
}

/// <summary>
/// KerasTuner's Hyperband (Li et al. 2018), with its brackets, sizes and epochs:
/// <c>brackets</c> = how many times max_epochs can be divided by the factor and stay at least 1;
/// bracket b has b + 1 rounds; round r of bracket b trains <c>ceil(ceil(1 + log_f max_epochs) / (b + 1) × f^(b − r))</c>
/// configurations to <c>ceil(max_epochs / f^(b − r))</c> epochs. Brackets run from the most
/// aggressive (b = brackets − 1) to plain random search (b = 0), <c>iterations</c> times. A
/// configuration is promoted as KerasTuner does it, as soon as more of the previous round have
/// finished than will be thrown out (so it is sure to be in the top), and it continues from its
/// saved weights and optimiser state (unlike KerasTuner, whose issue #372 retrains from scratch):
/// all its rounds are one trial. New configurations are drawn by <paramref name="sampler"/>
/// (random, never a near duplicate of one tried).
/// </summary>
public sealed class HyperbandScheduler : ITrialScheduler
{
    private readonly SearchSpace _space;
    private readonly IOracle _sampler;

    private readonly Func<double, double> _lossOf;

    /// <param name="lossOf">The objective's direction: a score's loss (lower is better).</param>
    public HyperbandScheduler(SearchSpace space, Func<double, double> lossOf, int maxEpochs, int factor = 3, int iterations = 1, int? maxConfigurations = null, IOracle? sampler = null)
    {
        ArgumentNullException.ThrowIfNull(space);
        ArgumentNullException.ThrowIfNull(lossOf);
        _lossOf = lossOf;
        if (maxEpochs < 1) throw new ArgumentOutOfRangeException(nameof(maxEpochs), maxEpochs, "Hyperband's max epochs must be at least 1");
        if (factor < 2) throw new ArgumentOutOfRangeException(nameof(factor), factor, "Hyperband's factor must be at least 2");
        if (iterations < 1) throw new ArgumentOutOfRangeException(nameof(iterations), iterations, "Hyperband's iterations must be at least 1");
        _space = space;
        _sampler = sampler ?? new RandomOracle(space);
        MaxEpochs = maxEpochs;
        Factor = factor;
        Iterations = iterations;
        MaxConfigurations = maxConfigurations;
        var epochs = (double)maxEpochs;
        while (epochs >= 1)
        {
            epochs /= factor;
            Brackets++;
        }
    }

    public string Name => Infrastructure.Choice.Name(OracleKind.Hyperband);
    public int MaxEpochs { get; }
    public int Factor { get; }
    public int Iterations { get; }

    /// <summary>A cap on new configurations (the study's trial budget); null for the schedule's own count.</summary>
    public int? MaxConfigurations { get; }

    /// <summary>How many brackets one iteration has (KerasTuner's <c>_get_num_brackets</c>).</summary>
    public int Brackets { get; }

    /// <summary>Configurations in round <paramref name="round"/> of bracket <paramref name="bracket"/> (KerasTuner's <c>_get_size</c>).</summary>
    public int Size(int bracket, int round)
    {
        // The same floating-point arithmetic as KerasTuner's (math.log(x, base) is log(x) / log(base)), so the sizes agree exactly.
        var bracket0EndSize = Math.Ceiling(1 + Math.Log(MaxEpochs) / Math.Log(Factor));
        var bracketEndSize = bracket0EndSize / (bracket + 1);
        return (int)Math.Ceiling(bracketEndSize * Math.Pow(Factor, bracket - round));
    }

    /// <summary>The epochs a configuration has trained after round <paramref name="round"/> of bracket <paramref name="bracket"/> (KerasTuner's <c>_get_epochs</c>).</summary>
    public int Epochs(int bracket, int round) => (int)Math.Ceiling(MaxEpochs / Math.Pow(Factor, bracket - round));

    /// <summary>Configurations one iteration starts, and epochs it trains in all (a promoted trial trains only its new epochs).</summary>
    public (int Configurations, int Epochs) Budget()
    {
        int configs = 0, epochs = 0;
        for (var b = Brackets - 1; b >= 0; b--)
        {
            configs += Size(b, 0);
            for (var r = 0; r <= b; r++) epochs += Size(b, r) * (Epochs(b, r) - (r == 0 ? 0 : Epochs(b, r - 1)));
        }
        return (configs, epochs);
    }

    public ScheduleDecision Next(IReadOnlyList<TrialRecord> trials, Random rng)
    {
        ArgumentNullException.ThrowIfNull(trials);
        var planned = trials.Where(t => t.Plan is not null).ToList();
        var brackets = planned.GroupBy(t => (t.Plan!.Iteration, t.Plan.Bracket))
            .OrderBy(g => g.Min(t => t.Id)).ToList();
        var retire = new List<int>();
        var budgetLeft = MaxConfigurations is not { } cap || trials.Count < cap;
        // A bracket's round sizes: KerasTuner's, or scaled down in proportion when the trial budget
        // stopped its first round short (so that its trials are still promoted and some complete).
        int SizeOf(int bracket, int round, int started) =>
            budgetLeft || started >= Size(bracket, 0) ? Size(bracket, round) : Math.Max(1, (int)Math.Ceiling((double)Size(bracket, round) * started / Size(bracket, 0)));
        foreach (var group in brackets)
        {
            var (iteration, bracket) = group.Key;
            var members = group.ToList();
            // A round that is full retires the paused trials of the round before it, which were not promoted.
            for (var r = 1; r <= bracket; r++)
            {
                if (members.Count(t => t.Plan!.Round >= r) >= SizeOf(bracket, r, members.Count))
                {
                    retire.AddRange(members.Where(t => t.Status == TrialStatus.Paused && t.Plan!.Round == r - 1).Select(t => t.Id));
                }
            }
        }
        foreach (var group in brackets)
        {
            var (iteration, bracket) = group.Key;
            var members = group.ToList();
            if (members.Count(t => t.Plan!.Round >= bracket) >= SizeOf(bracket, bracket, members.Count)) continue; // every trial of the last round exists
            if (members.Count < Size(bracket, 0) && budgetLeft) return Start(trials, rng, iteration, bracket, retire);
            for (var r = 1; r <= bracket; r++)
            {
                var size = SizeOf(bracket, r, members.Count);
                var promoted = members.Count(t => t.Plan!.Round >= r);
                var candidates = members.Where(t => t.Plan!.Round == r - 1 && t.Status == TrialStatus.Paused && t.Score is not null && !retire.Contains(t.Id)).ToList();
                // KerasTuner's rule: promote the best finished candidate once more have finished than will be thrown
                // out. Trials of the round that failed will never finish: they leave the round smaller.
                var failed = members.Count(t => t.Plan!.Round == r - 1 && t.Status == TrialStatus.Failed);
                var pastSize = SizeOf(bracket, r - 1, members.Count) - failed;
                if (promoted < size && candidates.Count > 0 && candidates.Count > pastSize - size)
                {
                    var best = candidates.OrderBy(t => Loss(t)).ThenBy(t => t.Id).First();
                    return new ScheduleDecision.Continue(best.Id, new TrialPlan(iteration, bracket, r, Epochs(bracket, r - 1), Epochs(bracket, r))) { Retire = retire };
                }
            }
        }
        // Nothing to run in the open brackets: open the next one, unless the last bracket of the last iteration is open already.
        var last = brackets.Count == 0 ? ((int Iteration, int Bracket)?)null : brackets[^1].Key;
        (int Iteration, int Bracket)? next = last is not { } l ? (0, Brackets - 1) : l.Bracket > 0 ? (l.Iteration, l.Bracket - 1) : l.Iteration + 1 < Iterations ? (l.Iteration + 1, Brackets - 1) : null;
        if (next is { } n && budgetLeft) return Start(trials, rng, n.Iteration, n.Bracket, retire);
        var unfinished = trials.Any(t => t.Status is TrialStatus.Running or TrialStatus.Queued);
        if (unfinished) return new ScheduleDecision.Wait { Retire = retire };
        // The end: paused trials left (their round will never fill) are retired.
        retire.AddRange(trials.Where(t => t.Status == TrialStatus.Paused && !retire.Contains(t.Id)).Select(t => t.Id));
        return new ScheduleDecision.Stop { Retire = retire };
    }

    private ScheduleDecision Start(IReadOnlyList<TrialRecord> trials, Random rng, int iteration, int bracket, List<int> retire)
    {
        var unit = _sampler.Suggest(trials.Select(t => new Observation(t.Unit, null)).ToList(), rng);
        return new ScheduleDecision.Start(new TrialProposal(unit, _space.Configuration(unit)), new TrialPlan(iteration, bracket, 0, 0, Epochs(bracket, 0))) { Retire = retire };
    }

    private double Loss(TrialRecord t) => _lossOf(t.Score!.Value);
}
