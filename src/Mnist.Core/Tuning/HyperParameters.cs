using System.Globalization;
using System.Text.Json.Serialization;

namespace Mnist.Core.Tuning;

/// <summary>
/// One dimension of a search space. Every type maps its values to and from [0, 1], so the
/// optimiser works on a unit cube and never knows types: integers and choices as equal buckets
/// (a value maps to its bucket's centre), floats linearly or on a log scale.
/// Values are carried as doubles (a choice as its index).
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(IntParameter), "int")]
[JsonDerivedType(typeof(FloatParameter), "float")]
[JsonDerivedType(typeof(ChoiceParameter), "choice")]
[JsonDerivedType(typeof(FixedParameter), "fixed")]
public abstract record HyperParameter(string Name)
{
    [JsonIgnore]
    public abstract double Default { get; }

    /// <summary>
    /// KerasTuner's conditional scopes: the parameter is active only when every condition holds
    /// (its parent takes one of the listed values). An inactive parameter counts for nothing when
    /// two configurations are compared, and the surrogate does not learn from it.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<HyperParameterCondition>? Conditions { get; init; }

    /// <summary>True when the values a trial's configuration is made of are discrete (an integer, a choice, a float with a step).</summary>
    [JsonIgnore]
    public virtual bool IsDiscrete => true;

    public abstract double ToUnit(double value);

    public abstract double FromUnit(double unit);

    /// <summary>The value as a person reads it.</summary>
    public virtual string Format(double value) => value.ToString("G6", CultureInfo.InvariantCulture);

    public abstract string Describe();

    /// <summary>Throws when <paramref name="value"/> is not one this parameter can take.</summary>
    public void Check(double value)
    {
        if (!double.IsFinite(value) || Math.Abs(FromUnit(ToUnit(value)) - value) > 1e-9 * Math.Max(1, Math.Abs(value)))
        {
            throw new ArgumentException($"hyperparameter {Name} = {value}: not a value of {Describe()}");
        }
    }

    protected static double Clamp01(double u) => double.IsNaN(u) ? 0.5 : Math.Clamp(u, 0.0, 1.0);
}

/// <summary>A condition of a conditional scope: the parameter <paramref name="Parent"/> takes one of <paramref name="Values"/>.</summary>
public sealed record HyperParameterCondition(string Parent, IReadOnlyList<double> Values)
{
    public bool Holds(IReadOnlyDictionary<string, double> values) =>
        values.TryGetValue(Parent, out var v) && Values.Any(x => Math.Abs(x - v) < 1e-9);
}

/// <summary>An integer from Min to Max in steps of Step, as equal buckets of [0, 1].</summary>
public sealed record IntParameter(string Name, int Min, int Max, int Step = 1, int? DefaultValue = null) : HyperParameter(Name)
{
    [JsonIgnore]
    public int Count => (Max - Min) / Step + 1;

    public override double Default => DefaultValue ?? Min;

    public override double ToUnit(double value) => (Math.Clamp(Math.Round((value - Min) / Step), 0, Count - 1) + 0.5) / Count;

    public override double FromUnit(double unit) => Min + Step * Math.Min(Count - 1, (int)Math.Floor(Clamp01(unit) * Count));

    public override string Format(double value) => ((int)value).ToString(CultureInfo.InvariantCulture);

    public override string Describe() => $"int {Min}..{Max} step {Step}";
}

/// <summary>A float from Min to Max, linear or log-scaled, optionally rounded to a step.</summary>
public sealed record FloatParameter(string Name, double Min, double Max, bool Log = false, double? Step = null, double? DefaultValue = null) : HyperParameter(Name)
{
    public override double Default => DefaultValue ?? Min;

    public override bool IsDiscrete => Step is not null;

    public override double ToUnit(double value) => Log
        ? Clamp01((Math.Log(value) - Math.Log(Min)) / (Math.Log(Max) - Math.Log(Min)))
        : Clamp01((value - Min) / (Max - Min));

    public override double FromUnit(double unit)
    {
        var u = Clamp01(unit);
        var v = Log ? Math.Exp(Math.Log(Min) + u * (Math.Log(Max) - Math.Log(Min))) : Min + u * (Max - Min);
        if (Step is { } s) v = Math.Round(Min + Math.Round((v - Min) / s) * s, 10);
        return Math.Clamp(v, Min, Max);
    }

    public override string Describe() => $"float {Min.ToString(CultureInfo.InvariantCulture)}..{Max.ToString(CultureInfo.InvariantCulture)}" +
                                         (Log ? " log" : "") + (Step is { } s ? $" step {s.ToString(CultureInfo.InvariantCulture)}" : "");
}

/// <summary>One of several named values, as equal buckets of [0, 1]; the value is the index.</summary>
public sealed record ChoiceParameter(string Name, IReadOnlyList<string> Values, int DefaultIndex = 0) : HyperParameter(Name)
{
    public override double Default => DefaultIndex;

    public override double ToUnit(double value) => (Math.Clamp(Math.Round(value), 0, Values.Count - 1) + 0.5) / Values.Count;

    public override double FromUnit(double unit) => Math.Min(Values.Count - 1, (int)Math.Floor(Clamp01(unit) * Values.Count));

    public override string Format(double value) => Values[(int)value];

    public override string Describe() => "choice of " + string.Join(", ", Values);
}

/// <summary>
/// KerasTuner's <c>hp.Fixed</c>: a hyperparameter of the space held at one value for a whole study
/// (<see cref="SearchSpace.WithFixed"/>). Every unit maps to its value and its value to the middle of
/// [0, 1], so to the oracle it is a coordinate that never moves and tells nothing. <see cref="Shown"/>
/// is the value as the parameter it replaces writes it (a choice's name, an integer without decimals).
/// </summary>
public sealed record FixedParameter(string Name, double Value, string Shown) : HyperParameter(Name)
{
    public override double Default => Value;

    public override double ToUnit(double value) => 0.5;

    public override double FromUnit(double unit) => Value;

    public override string Format(double value) => Math.Abs(value - Value) < 1e-12 ? Shown : base.Format(value);

    public override string Describe() => $"fixed at {Shown}";
}

/// <summary>
/// KerasTuner's <c>hp</c>: a build function asks it for each hyperparameter by name and range,
/// and gets the trial's value (or the default while the space is being declared).
/// </summary>
public sealed class HyperParameters
{
    private readonly IReadOnlyDictionary<string, double>? _values;
    private readonly List<HyperParameter> _declared = [];
    private readonly List<HyperParameterCondition> _scopes = [];

    /// <summary>Records the space; every call returns the parameter's default.</summary>
    public HyperParameters() { }

    /// <summary>Returns the given values; a name without a value gets its default.</summary>
    public HyperParameters(IReadOnlyDictionary<string, double> values) => _values = values;

    public IReadOnlyList<HyperParameter> Declared => _declared;

    public int Int(string name, int min, int max, int step = 1, int? defaultValue = null) =>
        (int)Get(new IntParameter(name, min, max, step, defaultValue));

    public double Float(string name, double min, double max, bool log = false, double? step = null, double? defaultValue = null) =>
        Get(new FloatParameter(name, min, max, log, step, defaultValue));

    public string Choice(string name, IReadOnlyList<string> values, int defaultIndex = 0)
    {
        var p = new ChoiceParameter(name, values, defaultIndex);
        return p.Values[(int)Get(p)];
    }

    /// <summary>
    /// KerasTuner's <c>hp.conditional_scope(parent, values)</c>: the hyperparameters declared until
    /// the scope is disposed are active only when <paramref name="parent"/> (declared before) takes
    /// one of <paramref name="values"/>. Scopes nest.
    /// </summary>
    public IDisposable ConditionalScope(string parent, params double[] values)
    {
        var declared = _declared.FirstOrDefault(d => d.Name == parent)
                       ?? throw new ArgumentException($"conditional scope on {parent}: declare {parent} before the parameters that depend on it");
        foreach (var v in values) declared.Check(v);
        var condition = new HyperParameterCondition(parent, values);
        _scopes.Add(condition);
        return new Scope(() => _scopes.Remove(condition));
    }

    private sealed class Scope(Action end) : IDisposable
    {
        public void Dispose() => end();
    }

    private double Get(HyperParameter parameter)
    {
        if (_declared.Any(d => d.Name == parameter.Name)) throw new ArgumentException($"hyperparameter {parameter.Name} is declared twice");
        if (_scopes.Count > 0) parameter = parameter with { Conditions = _scopes.ToList() };
        _declared.Add(parameter);
        if (_values is null || !_values.TryGetValue(parameter.Name, out var v)) return parameter.Default;
        parameter.Check(v);
        return v;
    }
}

/// <summary>
/// A condition every configuration a search tries must meet (Optuna's constraints, applied before a
/// trial rather than after): <paramref name="Holds"/> judges a configuration, <paramref name="Description"/>
/// says it in words ("at most 20,000,000 multiply-adds per image").
/// </summary>
public sealed record SpaceConstraint(string Description, Func<IReadOnlyDictionary<string, double>, bool> Holds);

/// <summary>A search space: the ordered hyperparameters a build function declares, and what a configuration must meet to be tried.</summary>
public sealed class SearchSpace(IReadOnlyList<HyperParameter> parameters)
{
    public IReadOnlyList<HyperParameter> Parameters { get; } = parameters;

    /// <summary>What every configuration the oracles propose must meet; null for none. The oracles ask <see cref="IsFeasible"/> and still never see types or names.</summary>
    [JsonIgnore]
    public SpaceConstraint? Constraint { get; init; }

    /// <summary>Whether the configuration a unit point stands for meets <see cref="Constraint"/> (always, without one).</summary>
    public bool IsFeasible(IReadOnlyList<double> unit) => Constraint is null || Constraint.Holds(Configuration(unit));
    [JsonIgnore]
    public int Dimensions => Parameters.Count;

    /// <summary>Runs the build function once to learn the space it declares.</summary>
    public static SearchSpace Declare<T>(Func<HyperParameters, T> build)
    {
        var hp = new HyperParameters();
        build(hp);
        return new SearchSpace(hp.Declared.ToList());
    }

    public IReadOnlyDictionary<string, double> Defaults() => Parameters.ToDictionary(p => p.Name, p => p.Default);

    /// <summary>The hyperparameters held fixed (<see cref="WithFixed"/>), in the space's order.</summary>
    [JsonIgnore]
    public IReadOnlyList<FixedParameter> Fixed => Parameters.OfType<FixedParameter>().ToList();

    /// <summary>
    /// This space with the named hyperparameters held at the given values (KerasTuner's <c>hp.Fixed</c>,
    /// Optuna's <c>PartialFixedSampler</c>): each becomes a <see cref="FixedParameter"/> in its place,
    /// with its conditions, so every configuration of the space carries it. An unknown name, a value the
    /// parameter cannot take, or a parameter already fixed is an error that names it and <paramref name="source"/>.
    /// </summary>
    public SearchSpace WithFixed(IReadOnlyDictionary<string, double> values, string source)
    {
        foreach (var parameter in Checked(values, source))
        {
            if (parameter is FixedParameter f) throw new ArgumentException($"{source}: hyperparameter '{f.Name}' is already fixed at {f.Shown}");
        }
        return new SearchSpace(Parameters.Select(p => values.TryGetValue(p.Name, out var v)
            ? new FixedParameter(p.Name, v, p.Format(v)) { Conditions = p.Conditions }
            : p).ToList());
    }

    public IReadOnlyDictionary<string, double> FromUnit(IReadOnlyList<double> unit)
    {
        if (unit.Count != Dimensions) throw new ArgumentException($"a point of {unit.Count} coordinates does not fit a space of {Dimensions} dimensions");
        return Parameters.Select((p, i) => (p.Name, Value: p.FromUnit(unit[i]))).ToDictionary(x => x.Name, x => x.Value);
    }

    /// <summary>
    /// The unit point of a configuration a person wrote (hyperparameter names and values; those
    /// left out take their defaults): an unknown name or a value the parameter cannot take is an
    /// error that names it; <paramref name="source"/> says where it came from.
    /// </summary>
    public double[] Point(IReadOnlyDictionary<string, double> values, string source)
    {
        _ = Checked(values, source);
        return ToUnit(values);
    }

    /// <summary>The parameters <paramref name="values"/> name, each value checked: an unknown name or a value the parameter cannot take is an error naming it and <paramref name="source"/>.</summary>
    private List<HyperParameter> Checked(IReadOnlyDictionary<string, double> values, string source)
    {
        ArgumentNullException.ThrowIfNull(values);
        var named = new List<HyperParameter>();
        foreach (var (name, value) in values)
        {
            var parameter = Parameters.FirstOrDefault(p => p.Name == name)
                ?? throw new ArgumentException($"{source}: hyperparameter '{name}' is not in the space ({string.Join(", ", Parameters.Select(p => p.Name))})");
            try
            {
                parameter.Check(value);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"{source}: {e.Message}", e);
            }
            named.Add(parameter);
        }
        return named;
    }

    public double[] ToUnit(IReadOnlyDictionary<string, double> values) =>
        Parameters.Select(p => p.ToUnit(values.TryGetValue(p.Name, out var v) ? v : p.Default)).ToArray();

    /// <summary>The canonical point of the values a unit point stands for (bucket centres), so equal trials compare equal.</summary>
    public double[] Snap(IReadOnlyList<double> unit) => ToUnit(FromUnit(unit));

    /// <summary>Whether <paramref name="parameter"/> is active in a configuration (its conditions, and its parents', hold).</summary>
    public bool IsActive(HyperParameter parameter, IReadOnlyDictionary<string, double> values)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        return parameter.Conditions is not { Count: > 0 } conditions || conditions.All(c =>
            c.Holds(values) && Parameters.FirstOrDefault(p => p.Name == c.Parent) is { } parent && IsActive(parent, values));
    }

    /// <summary>
    /// The configuration a unit point stands for, with every inactive hyperparameter at its
    /// default: two points that differ only in inactive ones give the same configuration.
    /// </summary>
    public IReadOnlyDictionary<string, double> Configuration(IReadOnlyList<double> unit)
    {
        var values = FromUnit(unit);
        return Parameters.ToDictionary(p => p.Name, p => IsActive(p, values) ? values[p.Name] : p.Default);
    }

    /// <summary>The unit point of <see cref="Configuration"/>: bucket centres, inactive dimensions at their default's place. What the surrogate sees.</summary>
    public double[] Canonical(IReadOnlyList<double> unit) => ToUnit(Configuration(unit));

    /// <summary>One string per configuration (inactive hyperparameters left out), for sets of tried configurations.</summary>
    public string Key(IReadOnlyList<double> unit)
    {
        var values = FromUnit(unit);
        return string.Join(";", Parameters.Select(p => IsActive(p, values) ? values[p.Name].ToString("R", CultureInfo.InvariantCulture) : "-"));
    }

    /// <summary>
    /// Default closeness below which two configurations with equal discrete hyperparameters are
    /// one: 0.05 of a continuous hyperparameter's unit range. For the seed's learning rate
    /// (1e-4 to 1e-2, log scale) that is a factor of 1.26, less than half of the finest
    /// discrete step of the space (1/8 of the range, dense units): a closer pair is not a new
    /// configuration worth a trial of its own.
    /// </summary>
    public const double DefaultDuplicateThreshold = 0.05;

    /// <summary>
    /// True when <paramref name="a"/> and <paramref name="b"/> are the same configuration up to
    /// <paramref name="threshold"/>: every active discrete hyperparameter equal, every active
    /// continuous one within the threshold in the unit cube, the same parameters active;
    /// inactive hyperparameters count for nothing.
    /// </summary>
    public bool NearDuplicate(IReadOnlyList<double> a, IReadOnlyList<double> b, double threshold = DefaultDuplicateThreshold)
    {
        var va = FromUnit(a);
        var vb = FromUnit(b);
        foreach (var p in Parameters)
        {
            var activeA = IsActive(p, va);
            if (activeA != IsActive(p, vb)) return false;
            if (!activeA) continue;
            if (p.IsDiscrete ? Math.Abs(va[p.Name] - vb[p.Name]) > 1e-9 : Math.Abs(p.ToUnit(va[p.Name]) - p.ToUnit(vb[p.Name])) > threshold) return false;
        }
        return true;
    }

    /// <summary>The active hyperparameters of a configuration as a person reads them.</summary>
    public string Format(IReadOnlyDictionary<string, double> values) =>
        string.Join(", ", Parameters.Where(p => values.ContainsKey(p.Name) && IsActive(p, values)).Select(p => $"{p.Name}={p.Format(values[p.Name])}"));
}
