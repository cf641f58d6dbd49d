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
public abstract record HyperParameter(string Name)
{
    [JsonIgnore]
    public abstract double Default { get; }

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
/// KerasTuner's <c>hp</c>: a build function asks it for each hyperparameter by name and range,
/// and gets the trial's value (or the default while the space is being declared).
/// </summary>
public sealed class HyperParameters
{
    private readonly IReadOnlyDictionary<string, double>? _values;
    private readonly List<HyperParameter> _declared = [];

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

    private double Get(HyperParameter parameter)
    {
        if (_declared.Any(d => d.Name == parameter.Name)) throw new ArgumentException($"hyperparameter {parameter.Name} is declared twice");
        _declared.Add(parameter);
        if (_values is null || !_values.TryGetValue(parameter.Name, out var v)) return parameter.Default;
        parameter.Check(v);
        return v;
    }
}

/// <summary>A search space: the ordered hyperparameters a build function declares.</summary>
public sealed class SearchSpace(IReadOnlyList<HyperParameter> parameters)
{
    public IReadOnlyList<HyperParameter> Parameters { get; } = parameters;
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

    public IReadOnlyDictionary<string, double> FromUnit(IReadOnlyList<double> unit)
    {
        if (unit.Count != Dimensions) throw new ArgumentException($"a point of {unit.Count} coordinates does not fit a space of {Dimensions} dimensions");
        return Parameters.Select((p, i) => (p.Name, Value: p.FromUnit(unit[i]))).ToDictionary(x => x.Name, x => x.Value);
    }

    public double[] ToUnit(IReadOnlyDictionary<string, double> values) =>
        Parameters.Select(p => p.ToUnit(values.TryGetValue(p.Name, out var v) ? v : p.Default)).ToArray();

    /// <summary>The canonical point of the values a unit point stands for (bucket centres), so equal trials compare equal.</summary>
    public double[] Snap(IReadOnlyList<double> unit) => ToUnit(FromUnit(unit));

    public string Key(IReadOnlyList<double> unit) =>
        string.Join(";", FromUnit(unit).Select(kv => kv.Value.ToString("R", CultureInfo.InvariantCulture)));

    public string Format(IReadOnlyDictionary<string, double> values) =>
        string.Join(", ", Parameters.Where(p => values.ContainsKey(p.Name)).Select(p => $"{p.Name}={p.Format(values[p.Name])}"));
}
