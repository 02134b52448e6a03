# The figure of README.md: python3 experiments/mnist_fnn/ixt_relative.py SWEEP_DIR/aggregate/aggregate.csv ixt_relative.dat
# then, in that directory, gnuplot PATH/TO/experiments/mnist_cnn/ixt_relative.gp (writes cnn_ixt_relative.png).
set terminal pngcairo size 760,520 font "sans,9"
set output 'cnn_ixt_relative.png'
set multiplot layout 2,2 title "Conv net, 20 epochs on 10,000 images: LogDet I(X;T) / its epoch-0 value, median of 2 seeds"
set xlabel 'epoch'; set ylabel 'I(X;T) / epoch 0'
set yrange [0.8:1.4]; set grid; set key bottom right maxrows 2
titles = "MNIST,tanh MNIST,relu Fashion-MNIST,tanh Fashion-MNIST,relu"
do for [p=0:3] {
  set title word(titles, p+1)
  plot for [i=0:3] 'ixt_relative.dat' index 4*p+i using 1:2 with lines lw 2 title (i < 3 ? sprintf('block %d', i+1) : 'logits')
}
unset multiplot
