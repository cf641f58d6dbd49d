using Mnist.Core.Evaluation;

namespace Mnist.Core.Tests.Evaluation;

public sealed class EvaluationResultTests
{
    [Fact]
    public void Given_known_predictions_When_scored_Then_confusion_matrix_and_per_class_metrics_follow_their_definitions()
    {
        byte[] labels = [0, 0, 0, 1, 1, 2];
        int[] predicted = [0, 0, 1, 1, 2, 2];

        var r = EvaluationResult.FromPredictions(labels, predicted, loss: 0.5, ["a", "b", "c"]);

        Assert.Equal([[2, 1, 0], [0, 1, 1], [0, 0, 1]], r.ConfusionMatrix);
        Assert.Equal(4.0 / 6, r.Accuracy, 10);
        Assert.Equal((1.0, 2.0 / 3), (r.PerClass[0].Precision, r.PerClass[0].Recall));
        Assert.Equal((0.5, 0.5, 0.5), (r.PerClass[1].Precision, r.PerClass[1].Recall, r.PerClass[1].F1));
        Assert.Equal((0.5, 1.0), (r.PerClass[2].Precision, r.PerClass[2].Recall));
        Assert.Equal([3, 2, 1], r.PerClass.Select(c => c.Support));
    }

    [Fact]
    public void Given_a_result_When_rendered_as_text_Then_it_shows_accuracy_classes_and_matrix()
    {
        var r = EvaluationResult.FromPredictions([0, 1], [0, 0], 0.25, ["0", "1"]);

        var text = r.ToText();

        Assert.Contains("accuracy: 50.00%", text);
        Assert.Contains("Confusion matrix", text);
        Assert.Contains("precision", text);
    }
}
