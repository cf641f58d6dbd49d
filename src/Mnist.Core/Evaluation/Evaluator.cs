using System.Globalization;
using System.Text;
using Mnist.Core.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Mnist.Core.Evaluation;

public sealed record ClassMetrics(string Class, double Precision, double Recall, double F1, int Support);

/// <summary>Test metrics: loss, accuracy, per-class precision / recall / F1, confusion matrix (rows true, columns predicted).</summary>
public sealed record EvaluationResult(
    int Count,
    double Loss,
    double Accuracy,
    IReadOnlyList<ClassMetrics> PerClass,
    int[][] ConfusionMatrix,
    double MacroF1)
{
    public static EvaluationResult FromPredictions(IReadOnlyList<byte> labels, IReadOnlyList<int> predicted, double loss, IReadOnlyList<string> classNames)
    {
        var k = classNames.Count;
        var cm = Enumerable.Range(0, k).Select(_ => new int[k]).ToArray();
        for (var i = 0; i < labels.Count; i++) cm[labels[i]][predicted[i]]++;
        var perClass = new List<ClassMetrics>();
        for (var c = 0; c < k; c++)
        {
            var tp = cm[c][c];
            var support = cm[c].Sum();
            var predictedAs = cm.Sum(row => row[c]);
            var precision = predictedAs == 0 ? 0 : (double)tp / predictedAs;
            var recall = support == 0 ? 0 : (double)tp / support;
            var f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            perClass.Add(new ClassMetrics(classNames[c], precision, recall, f1, support));
        }
        var correct = Enumerable.Range(0, k).Sum(c => cm[c][c]);
        return new EvaluationResult(labels.Count, loss, labels.Count == 0 ? 0 : (double)correct / labels.Count, perClass, cm, perClass.Average(p => p.F1));
    }

    /// <summary>The result as a table; <paramref name="images"/> names the images in its first line ("Test images: 10000 ...").</summary>
    public string ToText(string images = "Test")
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(inv, $"{images} images: {Count}   loss: {Loss:0.0000}   accuracy: {Accuracy * 100:0.00}%   macro F1: {MacroF1:0.0000}");
        sb.AppendLine();
        sb.AppendLine("class   precision   recall       f1   support");
        foreach (var c in PerClass)
        {
            sb.AppendLine(inv, $"{c.Class,-5} {c.Precision,11:0.0000} {c.Recall,8:0.0000} {c.F1,8:0.0000} {c.Support,9}");
        }
        sb.AppendLine();
        sb.AppendLine("Confusion matrix (rows: true class, columns: predicted class)");
        var names = PerClass.Select(c => c.Class).ToList();
        var w = Math.Max(5, ConfusionMatrix.SelectMany(r => r).Max().ToString(inv).Length + 1);
        sb.AppendLine(new string(' ', 6) + string.Concat(names.Select(n => n.PadLeft(w))));
        for (var r = 0; r < ConfusionMatrix.Length; r++)
        {
            sb.AppendLine(names[r].PadRight(6) + string.Concat(ConfusionMatrix[r].Select(v => v.ToString(inv).PadLeft(w))));
        }
        return sb.ToString();
    }
}

/// <summary>Runs a model over labelled images in eval mode, without gradients, one dispose scope per batch.</summary>
public static class Evaluator
{
    /// <summary>Mean loss, accuracy and predicted classes over the images.</summary>
    public static (double Loss, double Accuracy, int[] Predicted) Run(nn.Module<Tensor, Tensor> model, Tensor images, Tensor labels, Normalization normalization, int batchSize)
    {
        var (loss, accuracy, predicted, _) = RunWithConfidence(model, images, labels, normalization, batchSize);
        return (loss, accuracy, predicted);
    }

    /// <summary>As <see cref="Run"/>, with the probability the model gave its predicted class, per image.</summary>
    public static (double Loss, double Accuracy, int[] Predicted, float[] Confidence) RunWithConfidence(nn.Module<Tensor, Tensor> model, Tensor images, Tensor labels, Normalization normalization, int batchSize)
    {
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var _ = no_grad();
            var n = images.shape[0];
            var predicted = new int[n];
            var confidence = new float[n];
            double lossSum = 0;
            long correct = 0;
            for (long start = 0; start < n; start += batchSize)
            {
                using var scope = NewDisposeScope();
                var len = Math.Min(batchSize, n - start);
                var x = Preprocessing.Normalize(images.narrow(0, start, len), normalization);
                var y = labels.narrow(0, start, len);
                var logProbs = model.forward(x);
                lossSum += nn.functional.nll_loss(logProbs, y, reduction: nn.Reduction.Sum).item<float>();
                var pred = logProbs.argmax(1);
                correct += pred.eq(y).sum().item<long>();
                var predCpu = pred.to(ScalarType.Int32).cpu();
                predCpu.data<int>().CopyTo(predicted, (int)start);
                var top = logProbs.max(1).values.exp().to(ScalarType.Float32).cpu();
                top.data<float>().CopyTo(confidence, (int)start);
            }
            return (n == 0 ? 0 : lossSum / n, n == 0 ? 0 : (double)correct / n, predicted, confidence);
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    public static EvaluationResult Evaluate(nn.Module<Tensor, Tensor> model, LabeledImages data, Normalization normalization, IReadOnlyList<string> classNames, Device device, int batchSize = 1000) =>
        EvaluateWithMistakes(model, data, normalization, classNames, device, batchSize).Result;

    /// <summary>The evaluation, and the images the model gets wrong, the most confident mistakes first.</summary>
    public static (EvaluationResult Result, MistakeSet Mistakes) EvaluateWithMistakes(
        nn.Module<Tensor, Tensor> model, LabeledImages data, Normalization normalization, IReadOnlyList<string> classNames, Device device,
        int batchSize = 1000, int keepMistakes = MistakeSet.DefaultKept)
    {
        using var x = Preprocessing.ToUnitTensor(data, device);
        using var y = Preprocessing.Labels(data, device);
        var (loss, _, predicted, confidence) = RunWithConfidence(model, x, y, normalization, batchSize);
        return (EvaluationResult.FromPredictions(data.Labels, predicted, loss, classNames), MistakeSet.From(data, predicted, confidence, keepMistakes));
    }
}
