set terminal pngcairo size 760,340 font "sans,10"
set output 'fnn_ixt_relative.png'
set multiplot layout 1,2 title "MNIST MLP: LogDet I(X;T) / its epoch-0 value, median over the seeds"
set logscale x; set xlabel 'epoch (epoch 0 drawn at 0.5)'; set ylabel 'I(X;T) relative to epoch 0'
set yrange [0.3:*]; set grid; set key bottom left
set title 'tanh'
plot for [i=0:4] 'ixt_relative.dat' index i using 1:2 with lines lw 2 title sprintf('layer %d', i+1)
set title 'relu'
plot for [i=5:9] 'ixt_relative.dat' index i using 1:2 with lines lw 2 title sprintf('layer %d', i-4)
unset multiplot
