"""
Lesson 5: Evaluate
How good is the trained model, and where does it go wrong? Test accuracy on
10,000 digits it has never seen, a confusion matrix, accuracy per digit, and
a gallery of the mistakes it was most sure about.

Run it with `make run-lesson5` (after `make train` or `make run-lesson4`);
grade it with `make check-lesson5`.
"""

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt

NUM_CLASSES = 10

"""
## Predictions and accuracy

The model gives ten probabilities per image; its answer is the digit with the
highest one (argmax). Accuracy is the fraction of answers that match the
true labels.
"""


def predict_classes(model, images, batch_size=1000):
    """Return the model's probabilities (N, 10) and its predicted digits (N,) for `images`."""
    # BEGIN TODO 1: Get the probabilities with model.predict (pass batch_size and verbose=0),
    #   take the argmax of each row as the predicted digit, and return (probabilities, digits).
    # HINT: Which NumPy function gives the index of the largest entry, and along which axis are the
    #   ten probabilities of one image?
    probabilities = model.predict(images, batch_size=batch_size, verbose=0)
    return probabilities, np.argmax(probabilities, axis=1)
    # END TODO


def accuracy(y_true, y_pred):
    """Return the fraction of predictions equal to the true labels, as a float."""
    # BEGIN TODO 2: Compare the two arrays element by element and return the mean as a float.
    # HINT: What is (a == b) for two arrays, and what is the mean of an array of True and False?
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))
    # END TODO


"""
## The confusion matrix

Row = the true digit, column = the predicted digit. The diagonal counts the
right answers; every number off it is a particular kind of mistake ("4s
taken for 9s"). Each row sums to how many test images of that digit there
are.
"""


def confusion_matrix(y_true, y_pred, num_classes=NUM_CLASSES):
    """Return an int array (num_classes, num_classes): [true digit, predicted digit] -> count."""
    # BEGIN TODO 3: Start from np.zeros((num_classes, num_classes), dtype=int) and add 1 at
    #   [true, predicted] for every pair of labels.
    # HINT: A loop over zip(y_true, y_pred) can add 1 for each image. Which index comes first, the true
    #   digit or the predicted one? (np.add.at does the whole loop in one call.)
    matrix = np.zeros((num_classes, num_classes), dtype=int)
    np.add.at(matrix, (np.asarray(y_true, dtype=int), np.asarray(y_pred, dtype=int)), 1)
    return matrix
    # END TODO


def per_class_accuracy(matrix):
    """Return, for each true digit, the fraction of its images predicted correctly."""
    # BEGIN TODO 4: Divide the diagonal by each row's sum (use 0.0 for a row with no images).
    # HINT: Where are digit d's right answers, and how many images of d are there (which axis)? What
    #   should a digit with no images get, and which arguments of np.divide avoid dividing by zero?
    totals = matrix.sum(axis=1)
    return np.divide(np.diag(matrix), totals, out=np.zeros(len(totals), dtype=float), where=totals > 0)
    # END TODO


"""
## Precision, recall and F1

Accuracy per digit (above) answers: of the real 4s, how many did the model
find? That is the digit's **recall**. Its mirror image is **precision**: of
everything the model *called* a 4, how many were 4s? A model that calls
every unclear digit a 4 has a high recall for 4 and a poor precision. **F1**
is their harmonic mean: high only when both are.

Which matters depends on the cost of each mistake. A cheque reader that
misreads a 7 as a 1 pays the wrong amount: there you want precision (when
it says "1", it must be a 1). A form scanner that sends unclear digits to a
person can live with lower precision, but should miss few: recall.
"""


def precision_recall_f1(matrix):
    """Return three arrays of length num_classes: precision, recall and F1 for each digit."""
    # BEGIN TODO 5: From the confusion matrix (rows: true, columns: predicted):
    #   precision[d] = matrix[d, d] / (how many images were predicted as d)   (the column's sum)
    #   recall[d]    = matrix[d, d] / (how many images of d there are)          (the row's sum)
    #   f1[d]        = 2 * precision[d] * recall[d] / (precision[d] + recall[d])
    #   Use 0.0 wherever a division would be by zero.
    # HINT: Recall is something you already wrote. Which axis do you sum over for the columns?
    # HINT: As in TODO 4: which arguments of np.divide skip the divisions by zero?
    predicted_as = matrix.sum(axis=0)
    precision = np.divide(
        np.diag(matrix), predicted_as, out=np.zeros(len(predicted_as), dtype=float), where=predicted_as > 0
    )
    recall = per_class_accuracy(matrix)
    both = precision + recall
    f1 = np.divide(2 * precision * recall, both, out=np.zeros(len(both), dtype=float), where=both > 0)
    return precision, recall, f1
    # END TODO


def log_colours(matrix):
    """Given: a white-to-blue logarithmic colour scale for imshow (a few mistakes stay visible beside
    the large diagonal); empty cells stay white."""
    from matplotlib.colors import LogNorm

    return {"cmap": "Blues", "norm": LogNorm(vmin=0.5, vmax=max(int(matrix.max()), 1))}


def count_colour(row, column):
    """Given: white text on the dark diagonal, black elsewhere."""
    return "white" if row == column else "black"


def plot_confusion_matrix(matrix, path):
    """Save the confusion matrix as a heatmap with its counts written in; return the Figure."""
    size = len(matrix)
    fig, ax = plt.subplots(figsize=(7, 6))
    # BEGIN TODO 6: Show `matrix` with ax.imshow(matrix, **log_colours(matrix)) and keep what it
    #   returns in `shown`. Write each count that is not 0 in the middle of its cell with ax.text
    #   (color=count_colour(row, column)), put the digits 0-9 as ticks on both axes, and label the
    #   axes "predicted" (x) and "true" (y).
    # HINT: ax.text(x, y, text) writes at a point: is x the row or the column of the cell? How do
    #   ha= and va= centre the text?
    shown = ax.imshow(matrix, **log_colours(matrix))
    for row in range(size):
        for column in range(size):
            count = int(matrix[row, column])
            if count:
                ax.text(column, row, str(count), ha="center", va="center", fontsize=8, color=count_colour(row, column))
    ax.set_xticks(range(size))
    ax.set_yticks(range(size))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    # END TODO
    fig.colorbar(shown, ax=ax, fraction=0.046, label="images (log scale)")
    ax.set_title("Confusion matrix (rows: true digit)")
    fig.tight_layout()
    fig.savefig(path)
    return fig


"""
## The most confident mistakes

The errors a model makes with 99% confidence are the most instructive:
often the label itself is doubtful, or the digit is written in a style the
training set rarely shows.
"""


def most_confident_mistakes(probabilities, y_true, count=12):
    """Return the indices of up to `count` wrong predictions, most confident first."""
    # BEGIN TODO 7: Find the images whose predicted digit (argmax) differs from y_true, and
    #   return their indices sorted by the predicted digit's probability, highest first.
    # HINT: Which images are mistakes? np.flatnonzero(condition) gives the indices where a condition holds.
    # HINT: np.argsort sorts from low to high: how do you get the highest first?
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != np.asarray(y_true))
    confidence = probabilities[wrong, predicted[wrong]]
    order = np.argsort(-confidence, kind="stable")
    return wrong[order][:count]
    # END TODO


def plot_mistakes(images, y_true, probabilities, indices, path, n_cols=6):
    """Given: save a gallery of the images at `indices`, titled true -> predicted (confidence)."""
    n_rows = max(1, int(np.ceil(len(indices) / n_cols)))
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(1.8 * n_cols, 2.4 * n_rows))
    for ax in np.atleast_1d(axes).flat:
        ax.axis("off")
    for ax, index in zip(np.atleast_1d(axes).flat, indices):
        predicted = int(probabilities[index].argmax())
        ax.imshow(np.squeeze(images[index]), cmap="gray")
        ax.set_title(f"true {int(y_true[index])} → {predicted}\n{probabilities[index, predicted]:.1%}", fontsize=9)
    fig.suptitle("Most confident mistakes")
    fig.tight_layout()
    fig.savefig(path)
    return fig


def evaluate_model(model, x_test, y_test, verbose=True):
    """Given: run every step above on a test set; return a dict of the results and figure paths."""
    from course.helpers import output_path

    probabilities, predicted = predict_classes(model, x_test)
    matrix = confusion_matrix(y_test, predicted)
    results = {
        "accuracy": accuracy(y_test, predicted),
        "confusion_matrix": matrix,
        "per_class_accuracy": per_class_accuracy(matrix),
        "precision_recall_f1": precision_recall_f1(matrix),
        "mistakes": most_confident_mistakes(probabilities, y_test),
        "confusion_figure": output_path("lesson05_confusion_matrix.png"),
        "mistakes_figure": output_path("lesson05_mistakes.png"),
    }
    plot_confusion_matrix(matrix, results["confusion_figure"])
    plot_mistakes(x_test, y_test, probabilities, results["mistakes"], results["mistakes_figure"])
    plt.close("all")
    if verbose:
        errors = int(len(y_test) - np.trace(matrix))
        from course.helpers import since_last_time

        share = results["accuracy"]
        print(
            f"Test accuracy: {share:.2%}{since_last_time('lesson 5: test accuracy', share)} "
            f"({errors} mistakes in {len(y_test):,} images)"
        )
        precision, recall, f1 = results["precision_recall_f1"]
        print("digit      " + "".join(f"{d:>7}" for d in range(len(recall))))
        for name, values in (("precision", precision), ("recall", recall), ("F1", f1)):
            print(f"{name:<11}" + "".join(f"{value:7.1%}" for value in values))
        print(f"Saved the confusion matrix to {results['confusion_figure']}")
        print(f"Saved the most confident mistakes to {results['mistakes_figure']}")
    return results


def main():
    from course.helpers import evaluate_saved_model

    evaluate_saved_model(__file__)


if __name__ == "__main__":
    main()
