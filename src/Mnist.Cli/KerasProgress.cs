using System.Diagnostics;
using System.Globalization;
using Mnist.Core.Model;
using Mnist.Core.Training;

namespace Mnist.Cli;

/// <summary>
/// Keras-style progress: "Epoch 3/100", then a bar with loss and accuracy that redraws in
/// place on a terminal, and one final line per epoch with the validation metrics.
/// </summary>
internal sealed class KerasProgress(TextWriter output, bool interactive) : ITrainingObserver
{
    private const int BarWidth = 30;
    private readonly Stopwatch _epochClock = new();
    private readonly Stopwatch _redraw = new();
    private int _batches;

    public void OnEpochBegin(int epoch, int epochs, int batches)
    {
        _batches = batches;
        _epochClock.Restart();
        _redraw.Restart();
        output.WriteLine($"Epoch {epoch}/{epochs}");
    }

    public void OnBatchEnd(int batch, int batches, double loss, double accuracy)
    {
        if (!interactive || (batch < batches && _redraw.ElapsedMilliseconds < 100)) return;
        _redraw.Restart();
        output.Write("\r" + Line(batch, batches, $" - loss: {loss:0.0000} - accuracy: {accuracy:0.0000}"));
        output.Flush();
    }

    public void OnEpochEnd(EpochRecord r, bool improved, TrainerState state)
    {
        var text = Line(_batches, _batches,
            $" - loss: {r.Loss:0.0000} - accuracy: {r.Accuracy:0.0000} - val_loss: {r.ValLoss:0.0000} - val_accuracy: {r.ValAccuracy:0.0000}" +
            (improved ? " (best, saved)" : ""));
        output.WriteLine(interactive ? "\r" + text : text);
    }

    public void OnInfo(string message) => output.WriteLine(message);

    private string Line(int batch, int batches, string metrics)
    {
        var done = batches == 0 ? BarWidth : batch * BarWidth / batches;
        var bar = batch >= batches ? new string('=', BarWidth) : new string('=', Math.Max(0, done - 1)) + ">" + new string('.', BarWidth - Math.Max(1, done));
        var seconds = _epochClock.Elapsed.TotalSeconds;
        var perStep = batch == 0 ? 0 : seconds * 1000 / batch;
        return string.Create(CultureInfo.InvariantCulture, $"{batch}/{batches} [{bar}] - {seconds:0}s {perStep:0}ms/step{metrics}");
    }
}
